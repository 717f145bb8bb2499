import { join } from 'node:path';
import {
  CLASS_WEIGHTS_FILE,
  classWeightsSchema,
  createRandom,
  LABELS_FILE,
  MANIFEST_FILE,
  NEGATIVES_FILE,
  renderSvg,
  SIGNATURES_FILE,
  shuffle,
  svgToPng,
  writeFileAtomic,
  writeJsonAtomic,
  writeJsonContract,
  writeLabels,
  writeManifest,
  writeNegatives,
} from '@plantid/core';
import type { PreparedDataset } from '../build.js';
import { classDistributionSpec, histogramSpec, meanColourSpec, sizeScatterSpec } from './charts.js';
import { type ReportView, renderHtml } from './html.js';
import { thumbnailsFor } from './thumbnails.js';

export interface ReportOptions {
  seed: number;
  concurrency: number;
  thumbnailsPerClass: number;
  maxGroups: number;
  maxFlagged: number;
  data: unknown;
}

const SCATTER_POINTS = 4000;

/** Writes manifest.jsonl, signatures.bin, labels.json, class_weights.json, report.json, report.html and class_distribution.png. */
export async function writeOutputs(
  p: PreparedDataset,
  outDir: string,
  options: ReportOptions,
): Promise<void> {
  await writeManifest(join(outDir, MANIFEST_FILE), p.records);
  await writeFileAtomic(join(outDir, SIGNATURES_FILE), p.signatures);
  await writeLabels(join(outDir, LABELS_FILE), p.labels);
  await writeJsonContract(classWeightsSchema, join(outDir, CLASS_WEIGHTS_FILE), p.classWeights);
  await writeNegatives(join(outDir, NEGATIVES_FILE), p.negatives);

  const decoded = p.records.map((r, i) => ({ r, a: p.analyses[i]! })).filter(({ r }) => r.width !== null);
  const flaggedAll = p.records
    .map((r, i) => ({
      path: r.path,
      file: r.file,
      label: r.label,
      flags: r.flags,
      reasons: p.reasons[i]!,
      excluded: r.split === null,
    }))
    .filter((f) => f.excluded);
  const groups = p.duplicates.groups.map((g, n) => ({
    group: n + 1,
    conflict: p.duplicates.conflictGroups.includes(n),
    members: g.map((i) => ({
      path: p.records[i]!.path,
      file: p.records[i]!.file,
      label: p.records[i]!.label,
      split: p.records[i]!.split,
      id: p.records[i]!.id,
      phash: p.records[i]!.phash,
    })),
  }));
  const pairs = p.duplicates.pairs.map((x) => ({
    kind: x.kind,
    a: p.records[x.a]!.path,
    b: p.records[x.b]!.path,
    hamming: x.distance,
    detail: Number(x.detail.toFixed(3)),
  }));
  const flagCounts: Record<string, number> = {};
  for (const r of p.records)
    for (const f of r.flags) {
      const key = f.replace(/:.*/, '');
      flagCounts[key] = (flagCounts[key] ?? 0) + 1;
    }
  const report = {
    version: 1,
    sources: p.sources.map((s) => ({
      name: s.name,
      root: s.root,
      manifest: s.manifest,
      license: s.license,
      images: s.images,
    })),
    totals: {
      files: p.records.length,
      decoded: decoded.length,
      usable: p.records.filter((r) => r.split !== null).length,
      excluded: p.records.filter((r) => r.split === null).length,
      classes: p.labels.length,
    },
    flags: flagCounts,
    blur: p.blur,
    duplicates: {
      exactPairs: pairs.filter((x) => x.kind === 'exact').length,
      nearPairs: pairs.filter((x) => x.kind === 'near').length,
      rejectedCandidates: p.duplicates.rejectedCandidates,
      groups,
      labelConflicts: groups.filter((g) => g.conflict),
      pairs,
    },
    sequence: {
      ...p.duplicates.sequenceEvidence,
      linkedPairs: p.duplicates.sequencePairs.length,
    },
    leakage: p.leakage,
    negatives: {
      photos: p.negatives.length,
      groups: [...new Set(p.negatives.map((n) => n.group))].map((group) => ({
        group,
        split: p.negatives.find((n) => n.group === group)!.split,
        photos: p.negatives.filter((n) => n.group === group).length,
      })),
    },
    classes: p.classes,
    imbalanceRatio: p.imbalanceRatio,
    classWeights: p.classWeights,
    warnings: p.notices,
    flagged: flaggedAll,
    timings: p.timings,
    config: options.data,
  };
  await writeJsonAtomic(join(outDir, 'report.json'), report);

  // Charts.
  const distRows = [
    ...p.classes.map((c) => c.label),
    ...new Set(p.records.filter((r) => !p.labels.some((l) => l.name === r.label)).map((r) => r.label)),
  ].flatMap((label) => {
    const recs = p.records.filter((r) => r.label === label);
    return (['train', 'val', 'test'] as const)
      .map((s) => ({ label, split: s, count: recs.filter((r) => r.split === s).length }))
      .concat([{ label, split: 'excluded' as never, count: recs.filter((r) => r.split === null).length }]);
  });
  const random = createRandom(options.seed, 'report');
  const scatter = shuffle(
    decoded.map(({ r }) => ({ width: r.width!, height: r.height!, label: r.label })),
    random,
  ).slice(0, SCATTER_POINTS);
  const blurLog = decoded
    .filter(({ a }) => (a.blur ?? 0) > 0)
    .map(({ a }) => Number(Math.log10(a.blur!).toFixed(3)));
  const colourRows = p.classes.map((c) => {
    const members = decoded.filter(({ r }) => r.label === c.label && r.split !== null);
    const mean = [0, 1, 2].map((k) =>
      Math.round(members.reduce((s, m) => s + m.a.meanRgb![k]!, 0) / Math.max(1, members.length)),
    );
    return { label: c.label, hex: `#${mean.map((v) => v.toString(16).padStart(2, '0')).join('')}` };
  });
  const distributionSvg = await renderSvg(classDistributionSpec(distRows));
  const charts = [
    { id: 'class-distribution', title: 'Class distribution', svg: distributionSvg },
    { id: 'size-scatter', title: 'Width × height', svg: await renderSvg(sizeScatterSpec(scatter)) },
    {
      id: 'aspect-histogram',
      title: 'Aspect ratio',
      svg: await renderSvg(
        histogramSpec(
          decoded.map(({ r }) => Number((r.width! / r.height!).toFixed(3))),
          { title: 'Aspect ratio (width / height)', field: 'aspect' },
        ),
      ),
    },
    {
      id: 'blur-histogram',
      title: 'Sharpness',
      svg: await renderSvg(
        histogramSpec(blurLog, {
          title: 'Sharpness: log10 variance of the Laplacian (red: blur threshold)',
          field: 'log10 sharpness',
          ...(p.blur.value ? { rule: { value: Math.log10(p.blur.value), label: 'threshold' } } : {}),
        }),
      ),
    },
    { id: 'mean-colour', title: 'Mean colour per class', svg: await renderSvg(meanColourSpec(colourRows)) },
  ];
  await writeFileAtomic(join(outDir, 'class_distribution.png'), await svgToPng(distributionSvg));

  // Thumbnails: a sample per class, the duplicate groups shown, the flagged images shown.
  const perClass = p.classes.map((c) => ({
    label: c.label,
    files: shuffle(
      p.records.filter((r) => r.label === c.label && r.split !== null).map((r) => r.file),
      createRandom(options.seed, c.label),
    ).slice(0, options.thumbnailsPerClass),
  }));
  const shownGroups = [...groups]
    .sort((a, b) => Number(b.conflict) - Number(a.conflict) || a.group - b.group)
    .slice(0, options.maxGroups);
  const shownFlagged = flaggedAll
    .filter((f) => !f.flags.some((x) => x.startsWith('duplicate_of:')))
    .slice(0, options.maxFlagged);
  const thumbs = await thumbnailsFor(
    [
      ...perClass.flatMap((c) => c.files),
      ...shownGroups.flatMap((g) => g.members.slice(0, 8).map((m) => m.file)),
      ...shownFlagged.map((f) => f.file),
    ],
    options.concurrency,
  );
  const view: ReportView = {
    report,
    charts,
    perClass,
    groups: shownGroups,
    flagged: shownFlagged,
    flaggedTotal: flaggedAll.length,
    thumbs,
  };
  await writeFileAtomic(join(outDir, 'report.html'), renderHtml(view));
}
