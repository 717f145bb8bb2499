import { availableParallelism } from 'node:os';
import { defineStage, type PlantidConfig, resolvePath, sha256File, sourceSpecs } from '@plantid/core';
import { prepareDataset } from './build.js';
import { negativeFolders, negativesFingerprint, prepareNegatives } from './ingest/negatives.js';
import { dataFingerprint, listCandidates, validateSources } from './ingest/sources.js';
import { writeOutputs } from './report/write.js';
import { slugIds } from './slug.js';
import { applyTaxonomy, matchTaxonomy, readTaxonomy, type TaxonomyRow } from './taxonomy.js';

/** The taxonomy file's rows matched to the classes the sources list (exit 2 naming the row or the missing classes). */
async function loadTaxonomy(
  data: PlantidConfig['data'],
  configDir: string,
): Promise<Map<string, TaxonomyRow> | null> {
  if (!data.taxonomy) return null;
  const file = resolvePath({ configDir }, data.taxonomy);
  const rows = await readTaxonomy(file);
  const labels = [...new Set((await listCandidates(sourceSpecs(data, configDir), [])).map((c) => c.label))];
  const ids = slugIds(labels);
  return matchTaxonomy(
    rows,
    labels.map((label) => ({ label, id: ids.get(label)! })),
    file,
  );
}

/** The pipeline's `dataset` stage: ingest, checks, duplicates, leak-free split, EDA report. */
export const datasetStage = defineStage({
  name: 'dataset',
  description: 'Ingest photos, flag bad and duplicate images, split without leakage, write the EDA report',
  version: '3',
  code: import.meta.url,
  needs: [],
  configKeys: ['seed', 'data'],
  outputs: [
    'manifest.jsonl',
    'signatures.bin',
    'labels.json',
    'class_weights.json',
    'negatives.jsonl',
    'report.html',
    'report.json',
    'class_distribution.png',
  ],
  async validate(config, configDir) {
    await validateSources(config.data, configDir);
    await negativeFolders(config.data, configDir);
    await loadTaxonomy(config.data, configDir);
  },
  fingerprint: async (config, configDir) => ({
    data: await dataFingerprint(config.data, configDir),
    negatives: await negativesFingerprint(config.data, configDir),
    taxonomy: config.data.taxonomy
      ? await sha256File(resolvePath({ configDir }, config.data.taxonomy))
      : null,
  }),
  async run(ctx) {
    const data = ctx.config.data;
    await validateSources(data, ctx.configDir);
    const taxonomy = await loadTaxonomy(data, ctx.configDir);
    const log = ctx.log.child({ stage: 'dataset' });
    const sensitiveLabels = new Set(
      [...(taxonomy?.values() ?? [])].filter((r) => r.sensitive).map((r) => r.label),
    );
    const prepared = await prepareDataset({
      sensitiveLabels,
      data,
      seed: ctx.config.seed,
      configDir: ctx.configDir,
      log,
      progress: ctx.progress,
      signal: ctx.signal,
      workDir: ctx.workDir,
    });
    if (taxonomy) prepared.labels = applyTaxonomy(prepared.labels, taxonomy);
    const concurrency = data.concurrency ?? Math.max(2, availableParallelism() * 2);
    prepared.negatives = await prepareNegatives(
      data,
      ctx.configDir,
      {
        seed: ctx.config.seed,
        classFiles: new Set(prepared.records.map((r) => r.file)),
        classIds: new Set(prepared.records.map((r) => r.id)),
        concurrency,
      },
      prepared.notices,
    );
    if (data.negatives.length > 0) {
      const val = prepared.negatives.filter((n) => n.split === 'val').length;
      log.info(
        `negatives: ${prepared.negatives.length} photos in ${new Set(prepared.negatives.map((n) => n.group)).size} group(s), ${val} to fit the open-set threshold, ${prepared.negatives.length - val} to report on`,
      );
    }
    await writeOutputs(prepared, ctx.outDir, {
      seed: ctx.config.seed,
      concurrency,
      thumbnailsPerClass: data.report.thumbnailsPerClass,
      maxGroups: data.report.maxGroups,
      maxFlagged: data.report.maxFlagged,
      data,
    });
    const usable = prepared.records.filter((r) => r.split !== null).length;
    await ctx.tracker.logMetrics({
      'dataset.images': prepared.records.length,
      'dataset.usable': usable,
      'dataset.classes': prepared.labels.length,
      'dataset.cross_split_duplicate_pairs': prepared.leakage.crossSplitDuplicatePairs,
    });
    log.info(
      `wrote ${prepared.records.length} records (${usable} usable, ${prepared.labels.length} classes) and report.html`,
    );
    return {
      images: prepared.records.length,
      usable,
      classes: prepared.labels.length,
      excluded: prepared.records.length - usable,
      nearDuplicateGroups: prepared.duplicates.groups.length,
      crossSplitPairs: prepared.leakage.crossSplitDuplicatePairs,
      negatives: prepared.negatives.length,
    };
  },
});
