import { availableParallelism } from 'node:os';
import {
  type Label,
  type Logger,
  type ManifestRecord,
  type NegativeRecord,
  type PlantidConfig,
  type ProgressFactory,
  packSignatures,
  type SourceSpec,
  type Split,
  sourceSpecs,
  WorkError,
} from '@plantid/core';
import { type Analysis, analyseAll } from './analyse.js';
import { balancedClassWeights, type ClassBalance, emptySplitCounts, imbalanceRatio } from './balance.js';
import { type DuplicateFindings, findDuplicates } from './duplicates.js';
import { listCandidates } from './ingest/sources.js';
import type { Candidate, Notice } from './ingest/types.js';
import { type BlurThreshold, blurThreshold, qualityFlags, reasonText } from './quality.js';
import { slugIds } from './slug.js';
import { assignSplits, crossSplitPairs } from './split.js';

type DataConfig = PlantidConfig['data'];

export interface BuildOptions {
  data: DataConfig;
  seed: number;
  configDir: string;
  log: Logger;
  progress: ProgressFactory;
  signal?: AbortSignal;
  /** Folder for the resume file (analyses survive a kill). */
  workDir?: string;
  /** Labels the taxonomy marks sensitive: their photos never keep a location, even with keepLocation. */
  sensitiveLabels?: ReadonlySet<string>;
}

export interface LeakageReport {
  /** Exact + near-duplicate pairs with the two images in different splits. */
  crossSplitDuplicatePairs: number;
  /** Look-alike consecutive shots in different splits. */
  crossSplitSequencePairs: number;
  /** What a plain stratified random split (no groups) would have leaked, same seed. */
  naiveSplit: { crossSplitDuplicatePairs: number; crossSplitSequencePairs: number };
  /** Cross-split duplicate pairs that come from the manifest's own split column. */
  fromManifestSplits: { a: string; b: string; splits: [Split, Split] }[];
}

export interface PreparedDataset {
  sources: (SourceSpec & { images: number })[];
  candidates: Candidate[];
  /** Detail signatures dropped once duplicates are found (kept packed in `signatures`). */
  analyses: Analysis[];
  /** Fine-detail signatures in record order, written as signatures.bin for the leakage re-check. */
  signatures: Uint8Array;
  /** Every record carries its absolute file (the manifest contract makes it optional for readers only). */
  records: (ManifestRecord & { file: string })[];
  reasons: string[][];
  labels: Label[];
  /** Photos of data.negatives (the stage fills them in after the classes are known). */
  negatives: NegativeRecord[];
  classes: ClassBalance[];
  classWeights: Record<string, number>;
  imbalanceRatio: number | null;
  blur: BlurThreshold;
  duplicates: DuplicateFindings;
  leakage: LeakageReport;
  notices: Notice[];
  resumed: number;
  timings: Record<string, number>;
}

const EXCLUDING = new Set([
  'corrupt',
  'too_small',
  'extreme_aspect',
  'near_uniform',
  'blurry',
  'label_conflict',
]);
const MAX_PER_FILE_LINES = 50;

/** Ingest, analyse, check, deduplicate and split: everything the dataset stage decides. */
export async function prepareDataset(options: BuildOptions): Promise<PreparedDataset> {
  const { data, log } = options;
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round(now - t0);
    t0 = now;
  };

  const notices: Notice[] = [];
  const specs = sourceSpecs(data, options.configDir);
  const candidates = await listCandidates(specs, notices);
  lap('ingestMs');
  log.info(`found ${candidates.length} image files in ${specs.length} source(s)`, {
    sources: specs.map((s) => s.name),
  });

  const concurrency = data.concurrency ?? Math.max(2, availableParallelism() * 2);
  const { analyses, resumed } = await analyseAll(candidates, {
    concurrency,
    keepLocation: data.keepLocation,
    progress: options.progress('analyse images', candidates.length, 'img'),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.workDir ? { resumeFile: `${options.workDir}/analysis.jsonl` } : {}),
  });
  if (resumed > 0) log.info(`reused ${resumed} analyses from an interrupted run`);
  lap('analyseMs');

  const blur = blurThreshold(
    analyses
      .filter((a) => a.error === null && (a.greyStd ?? 0) >= data.nearUniform.std)
      .map((a) => a.blur ?? 0),
    data.blur.threshold,
  );
  log.info(`blur threshold: ${blur.rule}`);
  const quality = analyses.map((a) => qualityFlags(a, data, blur));
  lap('checksMs');

  const duplicates = findDuplicates(
    candidates.map((c, i) => ({
      id: analyses[i]!.id,
      phash: analyses[i]!.phash,
      detail: analyses[i]!.detail,
      label: c.label,
      path: `${c.source}/${c.path}`,
    })),
    data.nearDuplicate,
  );
  const signatures = packSignatures(analyses.map((a) => a.detail));
  for (const a of analyses) a.detail = null;
  lap('dedupMs');

  // Flags per image.
  const flags: string[][] = quality.map((q) => [...q]);
  for (const p of duplicates.pairs) {
    if (p.kind === 'exact') flags[p.b]!.push(`duplicate_of:${analyses[p.a]!.id}`);
  }
  duplicates.groups.forEach((group, n) => {
    for (const i of group) flags[i]!.push(`near_duplicate_group:${n + 1}`);
  });
  for (const g of duplicates.conflictGroups)
    for (const i of duplicates.groups[g]!) flags[i]!.push('label_conflict');
  const eligible = flags.map(
    (f) => !f.some((flag) => EXCLUDING.has(flag) || flag.startsWith('duplicate_of:')),
  );

  const splitItems = candidates.map((c, i) => ({
    key: analyses[i]!.id,
    label: c.label,
    eligible: eligible[i]!,
    fixedSplit: c.fixedSplit,
  }));
  const links = [...duplicates.pairs, ...duplicates.sequencePairs];
  const splits = assignSplits(splitItems, links, data.split, options.seed);
  const naive = assignSplits(splitItems, [], data.split, options.seed);
  const crossDup = crossSplitPairs(duplicates.pairs, splits);
  const leakage: LeakageReport = {
    crossSplitDuplicatePairs: crossDup.length,
    crossSplitSequencePairs: crossSplitPairs(duplicates.sequencePairs, splits).length,
    naiveSplit: {
      crossSplitDuplicatePairs: crossSplitPairs(duplicates.pairs, naive).length,
      crossSplitSequencePairs: crossSplitPairs(duplicates.sequencePairs, naive).length,
    },
    fromManifestSplits: crossDup.map((p) => ({
      a: candidates[p.a]!.path,
      b: candidates[p.b]!.path,
      splits: [splits[p.a]!, splits[p.b]!],
    })),
  };
  lap('splitMs');

  // Labels, records, balance.
  const ids = slugIds(candidates.map((c) => c.label));
  const records: (ManifestRecord & { file: string })[] = candidates.map((c, i) => {
    const a = analyses[i]!;
    return {
      id: a.id,
      path: c.path,
      file: c.file,
      label: c.label,
      labelId: ids.get(c.label)!,
      split: splits[i]!,
      width: a.width,
      height: a.height,
      format: a.format,
      bytes: a.bytes,
      source: c.source,
      license: c.license,
      dateCollected: a.dateCollected,
      camera: a.camera,
      location: data.keepLocation && !options.sensitiveLabels?.has(c.label) ? a.location : null,
      phash: a.phash,
      blur: a.blur === null ? null : Number(a.blur.toFixed(2)),
      flags: flags[i]!,
      feedback: c.feedback ?? null,
    };
  });
  const reasons = flags.map((fs, i) =>
    fs.map((f) => {
      if (f.startsWith('duplicate_of:')) {
        const original = duplicates.pairs.find((p) => p.kind === 'exact' && p.b === i);
        return `exact duplicate of ${original ? candidates[original.a]!.path : f.slice(13)}`;
      }
      if (f.startsWith('near_duplicate_group:')) return `near-duplicate group ${f.slice(21)}`;
      if (f === 'label_conflict') return 'its duplicate group carries more than one label';
      return reasonText(f, analyses[i]!, data, blur);
    }),
  );

  const byLabel = new Map<string, ClassBalance>();
  records.forEach((r) => {
    let c = byLabel.get(r.label);
    if (!c) {
      c = { label: r.label, labelId: r.labelId, total: 0, usable: 0, perSplit: emptySplitCounts() };
      byLabel.set(r.label, c);
    }
    c.total++;
    if (r.split) {
      c.usable++;
      c.perSplit[r.split]++;
    }
  });
  const allClasses = [...byLabel.values()].sort((a, b) =>
    a.label < b.label ? -1 : a.label > b.label ? 1 : 0,
  );
  for (const c of allClasses.filter((c) => c.usable === 0)) {
    notices.push({
      where: c.label,
      message: `class has 0 usable images of ${c.total}; left out of labels.json`,
    });
  }
  const classes = allClasses.filter((c) => c.usable > 0);
  const labels: Label[] = classes.map((c, index) => ({ index, id: c.labelId, name: c.label }));
  for (const c of classes.filter((c) => c.usable < data.minPerClass)) {
    notices.push({
      where: c.label,
      message: `only ${c.usable} usable images (data.minPerClass ${data.minPerClass}); collect more or expect poor accuracy for this class`,
    });
  }

  // Tell the user: per-file problems (capped), then everything else.
  const flagged = records.map((r, i) => ({ r, i })).filter(({ r }) => r.flags.some((f) => EXCLUDING.has(f)));
  for (const { r, i } of flagged.slice(0, MAX_PER_FILE_LINES)) {
    log.warn(
      `${r.file}: ${reasons[i]!.filter((_, k) => EXCLUDING.has(r.flags[k]!)).join('; ')}; left out of training`,
    );
  }
  if (flagged.length > MAX_PER_FILE_LINES)
    log.warn(`… and ${flagged.length - MAX_PER_FILE_LINES} more flagged images (see report.html)`);
  for (const n of notices) log.warn(`${n.where}: ${n.message}`);
  const ev = duplicates.sequenceEvidence;
  if (ev.adjacentPairs > 0) {
    log.info(
      `consecutive shots: median pHash distance ${ev.adjacentMedian} between neighbours vs ${ev.randomMedian} for random same-class pairs; ${duplicates.sequencePairs.length} look-alike neighbours kept in one split`,
    );
  }
  log.info(
    `duplicates: ${duplicates.pairs.filter((p) => p.kind === 'exact').length} exact, ${duplicates.pairs.filter((p) => p.kind === 'near').length} near pairs in ${duplicates.groups.length} groups (${duplicates.conflictGroups.length} label conflicts); cross-split pairs ${leakage.crossSplitDuplicatePairs} (a plain random split: ${leakage.naiveSplit.crossSplitDuplicatePairs})`,
  );

  const usableTotal = classes.reduce((s, c) => s + c.usable, 0);
  if (classes.length < 2 || usableTotal < 4) {
    throw new WorkError(
      `too little usable data: ${usableTotal} usable images in ${classes.length} class(es) out of ${candidates.length} files`,
      {
        where: specs.map((s) => s.manifest ?? s.root).join(', '),
        hint: 'need at least 2 classes with usable images; see the warnings above',
      },
    );
  }
  const sources = specs.map((s) => ({ ...s, images: candidates.filter((c) => c.root === s.root).length }));
  return {
    sources,
    candidates,
    analyses,
    signatures,
    records,
    reasons,
    labels,
    negatives: [],
    classes,
    classWeights: balancedClassWeights(classes),
    imbalanceRatio: imbalanceRatio(classes),
    blur,
    duplicates,
    leakage,
    notices,
    resumed,
    timings,
  };
}
