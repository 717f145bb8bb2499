import { availableParallelism } from 'node:os';
import { defineStage } from '@plantid/core';
import { prepareDataset } from './build.js';
import { dataFingerprint, validateSources } from './ingest/sources.js';
import { writeOutputs } from './report/write.js';

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
    'report.html',
    'report.json',
    'class_distribution.png',
  ],
  async validate(config, configDir) {
    await validateSources(config.data, configDir);
  },
  fingerprint: (config, configDir) => dataFingerprint(config.data, configDir),
  async run(ctx) {
    const data = ctx.config.data;
    await validateSources(data, ctx.configDir);
    const log = ctx.log.child({ stage: 'dataset' });
    const prepared = await prepareDataset({
      data,
      seed: ctx.config.seed,
      configDir: ctx.configDir,
      log,
      progress: ctx.progress,
      signal: ctx.signal,
      workDir: ctx.workDir,
    });
    await writeOutputs(prepared, ctx.outDir, {
      seed: ctx.config.seed,
      concurrency: data.concurrency ?? Math.max(2, availableParallelism() * 2),
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
    };
  },
});
