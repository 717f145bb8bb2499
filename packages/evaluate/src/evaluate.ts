import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  fitTemperature,
  renderSvg,
  type StageContext,
  type StageSummary,
  svgToPng,
  UsageError,
  WorkError,
  writeFileAtomic,
  writeJsonAtomic,
} from '@plantid/core';
import { findTrainTestLeaks, readSignatures } from '@plantid/dataset';
import { checkGate, describeFailures } from './gate.js';
import { openTrainedModel, predictAll } from './inference.js';
import { itemsOf, readManifestRecords, readTrainOutput } from './inputs.js';
import { logToTracker } from './log-tracker.js';
import type { MetricsFile } from './metrics-file.js';
import { comparePrevious, findPreviousEvaluation } from './previous.js';
import { confusionSpec, perClassSpec, reliabilitySpec } from './report/charts.js';
import { topLossGallery } from './report/gallery.js';
import { renderReportHtml } from './report/html.js';
import { computeSplitMetrics, ECE_BINS } from './split-metrics.js';

/** Misclassified images shown in the report (highest loss first). */
const GALLERY_SIZE = 36;

/**
 * The evaluate stage: leakage re-check, predictions on val and test through the fast engine,
 * metrics, temperature scaling fitted on val, report.html + confusion.png + metrics.json, then
 * the gate. A failed gate throws WorkError (exit 1) after the report is written to the work folder.
 */
export async function evaluateRun(ctx: StageContext): Promise<StageSummary> {
  const { config, log } = ctx;
  const datasetDir = ctx.inputs.dataset;
  const trainDir = ctx.inputs.train;
  if (!datasetDir || !trainDir)
    throw new UsageError('evaluate needs the dataset and train stages', { where: 'stages' });

  const manifestPath = join(datasetDir, 'manifest.jsonl');
  const records = await readManifestRecords(datasetDir);
  const radius = config.data.nearDuplicate.hamming;
  const leaks = findTrainTestLeaks(records, await readSignatures(datasetDir, records.length), {
    hamming: radius,
    minDetail: config.data.nearDuplicate.minDetail,
  });
  if (leaks.pairs.length > 0) {
    for (const p of leaks.pairs.slice(0, 50))
      log.error(
        `leak: test ${p.test} ≈ train ${p.train} (Hamming ${p.distance}, detail ${p.detail.toFixed(3)})`,
      );
    const shown = leaks.pairs
      .slice(0, 3)
      .map((p) => `${p.test} ≈ ${p.train} (${p.distance})`)
      .join(', ');
    throw new WorkError(
      `${leaks.pairs.length} test/train near-duplicate pair(s) within Hamming ${radius}: ${shown}${leaks.pairs.length > 3 ? ', …' : ''}`,
      {
        where: manifestPath,
        hint: 'the split leaks; run the dataset stage again (pipeline run --from dataset) or remove the duplicates',
      },
    );
  }
  if (leaks.unhashed > 0)
    log.warn(`${leaks.unhashed} test images have no perceptual hash; the leakage check skipped them`);

  const { labels, spec } = await readTrainOutput(trainDir);
  const test = itemsOf(records, 'test', labels, config, ctx.configDir, manifestPath);
  const val = itemsOf(records, 'val', labels, config, ctx.configDir, manifestPath);
  if (test.length === 0)
    throw new WorkError('the test split is empty', {
      where: manifestPath,
      hint: 'raise data.split.test or add photos',
    });
  if (val.length === 0)
    throw new WorkError('the validation split is empty', {
      where: manifestPath,
      hint: 'raise data.split.val or add photos',
    });

  const engine = await openTrainedModel(trainDir, config.engine, log);
  let testScores: Awaited<ReturnType<typeof predictAll<(typeof test)[number]>>>;
  let valScores: typeof testScores;
  try {
    if (engine.outputSize !== labels.length) {
      throw new UsageError(
        `the model has ${engine.outputSize} outputs but labels.json lists ${labels.length} classes`,
        {
          where: join(trainDir, 'labels.json'),
          hint: 'run the train stage again',
        },
      );
    }
    log.info(`predicting ${test.length} test and ${val.length} val images with ${engine.description}`);
    const progress = ctx.progress('evaluate', test.length + val.length, 'img');
    try {
      valScores = await predictAll(engine, val, spec, { progress, signal: ctx.signal });
      testScores = await predictAll(engine, test, spec, { progress, signal: ctx.signal });
    } finally {
      progress.stop();
    }
  } finally {
    await engine.dispose();
  }
  const skipped = [...valScores.skipped, ...testScores.skipped];
  for (const s of skipped) log.warn(`skipped undecodable image ${s.item.path}: ${s.reason}`);

  const topK = config.evaluate.topK;
  const valActual = valScores.items.map((i) => i.labelIndex);
  const testActual = testScores.items.map((i) => i.labelIndex);
  const temperature = fitTemperature(valScores.probs, valActual, labels.length);
  const testMetrics = computeSplitMetrics(testScores.probs, testActual, labels, topK, temperature);
  const valMetrics = computeSplitMetrics(valScores.probs, valActual, labels, topK, temperature);

  const gate = checkGate(config.evaluate.gate, {
    top1: testMetrics.top1,
    recalls: testMetrics.perClass.map((c) => ({ name: c.name, recall: c.recall })),
    ece: testMetrics.eceCalibrated,
  });
  const gateFailures = describeFailures(gate);
  const previous = await findPreviousEvaluation(ctx.runDir);

  const metrics: MetricsFile = {
    version: 1,
    created: new Date().toISOString(),
    runId: ctx.runId,
    engine: engine.description,
    labels,
    topK: [...topK],
    test: testMetrics,
    val: valMetrics,
    calibration: {
      temperature,
      fittedOn: 'val',
      bins: ECE_BINS,
      ece: {
        test: { before: testMetrics.ece, after: testMetrics.eceCalibrated },
        val: { before: valMetrics.ece, after: valMetrics.eceCalibrated },
      },
    },
    gate,
    leakage: { checked: leaks.checked, radius, unhashed: leaks.unhashed, pairs: [] },
    skipped: skipped.map((s) => ({ path: s.item.path, reason: s.reason })),
    previous: previous
      ? {
          runId: previous.runId,
          sameConfig: previous.sameConfig,
          testTop1: previous.metrics.test.top1,
          testMacroF1: previous.metrics.test.macro.f1,
        }
      : null,
  };

  const names = labels.map((l) => l.name);
  const confusionSvg = await renderSvg(
    confusionSpec(names, testMetrics.confusion, 'Confusion matrix (test)'),
  );
  const charts = {
    confusion: confusionSvg,
    reliability: await renderSvg(
      reliabilitySpec(testMetrics.reliability, testMetrics.reliabilityCalibrated, temperature),
    ),
    perClass: await renderSvg(perClassSpec(testMetrics.perClass)),
  };
  const { gallery, misclassified } = await topLossGallery(
    testScores.items,
    testScores.probs,
    labels,
    GALLERY_SIZE,
  );

  const html = renderReportHtml({
    title: `Evaluation of ${config.model.name}`,
    runId: ctx.runId,
    created: metrics.created,
    engine: engine.description,
    temperature,
    test: testMetrics,
    val: valMetrics,
    topK: [...topK],
    gate,
    gateFailures,
    leakage: { checked: leaks.checked, radius, pairs: [] },
    charts,
    gallery,
    misclassifiedTotal: misclassified,
    previous: previous
      ? comparePrevious(previous.runId, previous.sameConfig, previous.metrics.test, testMetrics)
      : null,
  });

  await writeJsonAtomic(join(ctx.outDir, 'metrics.json'), metrics);
  await writeFileAtomic(join(ctx.outDir, 'report.html'), html);
  await writeFileAtomic(join(ctx.outDir, 'confusion.svg'), confusionSvg);
  await writeFileAtomic(join(ctx.outDir, 'confusion.png'), await svgToPng(confusionSvg));
  await writeFileAtomic(join(ctx.outDir, 'reliability.svg'), charts.reliability);

  await logToTracker(ctx, metrics);

  const k = topK.find((x) => x !== 1);
  log.info(
    `test top-1 ${(testMetrics.top1 * 100).toFixed(2)}%${k ? `, top-${k} ${((testMetrics.topK[String(k)] ?? 0) * 100).toFixed(2)}%` : ''}, macro F1 ${testMetrics.macro.f1.toFixed(3)}, ECE ${testMetrics.ece.toFixed(3)} → ${testMetrics.eceCalibrated.toFixed(3)} (T=${temperature.toFixed(2)})`,
  );
  if (!gate.passed) {
    // The stage's output folder is discarded when it throws; keep the report where the user can open it.
    const kept = join(ctx.workDir, 'failed-gate');
    await mkdir(kept, { recursive: true });
    await cp(ctx.outDir, kept, { recursive: true });
    for (const line of gateFailures) log.error(`gate failed: ${line}`);
    throw new WorkError(
      `gate failed: ${gateFailures[0]}${gateFailures.length > 1 ? ` (+${gateFailures.length - 1} more)` : ''}`,
      {
        where: 'evaluate.gate',
        hint: `report: ${join(kept, 'report.html')}; export does not run`,
      },
    );
  }
  return {
    top1: round(testMetrics.top1),
    ...(k ? { [`top${k}`]: round(testMetrics.topK[String(k)] ?? 0) } : {}),
    macroF1: round(testMetrics.macro.f1),
    ece: round(testMetrics.eceCalibrated),
    temperature: round(temperature),
    gate: gate.checks.length ? 'passed' : 'none',
  };
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
