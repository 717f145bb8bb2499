import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  fitTemperature,
  type GateResult,
  type Label,
  type MetricsFile,
  MODEL_OUTPUTS,
  type OpenSetMetrics,
  renderSvg,
  type SplitMetrics,
  type StageContext,
  type StageSummary,
  svgToPng,
  UsageError,
  WorkError,
  writeFileAtomic,
  writeMetricsFile,
} from '@plantid/core';
import { checkGate, describeFailures } from './gate.js';
import { openTrainedModel, predictAll, type Scored } from './inference.js';
import { type EvalItem, type EvaluateInputs, itemsOf } from './inputs.js';
import { findTrainTestLeaks } from './leakage.js';
import { logToTracker } from './log-tracker.js';
import { fitAndWriteOpenSet, type OpenSetPredictions } from './openset/run.js';
import { comparePrevious, findPreviousEvaluation } from './previous.js';
import { confusionSpec, openSetCurveSpec, perClassSpec, reliabilitySpec } from './report/charts.js';
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
export async function evaluateRun(ctx: StageContext<EvaluateInputs>): Promise<StageSummary> {
  const { config, log } = ctx;
  const { dataset, train } = ctx.inputs;
  const leakage = await recheckLeakage(ctx);
  const { labels } = train;
  const test = nonEmpty(itemsOf(dataset, 'test', labels), 'test', dataset.manifestPath);
  const val = nonEmpty(itemsOf(dataset, 'val', labels), 'validation', dataset.manifestPath);
  const predictions = await scoreSplits(ctx, val, test);
  const { engine, val: valScores, test: testScores } = predictions;
  const skipped = [
    ...valScores.skipped,
    ...testScores.skipped,
    ...(predictions.negativesVal?.skipped ?? []),
    ...(predictions.negativesTest?.skipped ?? []),
  ];
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
  const openSet = await fitAndWriteOpenSet(predictions, {
    train,
    temperature,
    config: config.evaluate.openSet,
    seed: config.seed,
    outDir: ctx.outDir,
  });
  for (const warning of openSet.warnings) log.warn(`open set: ${warning}`);
  logOpenSet(ctx, openSet);
  const previous = await findPreviousEvaluation(ctx.runDir);
  const metrics: MetricsFile = {
    version: 1,
    created: new Date().toISOString(),
    runId: ctx.runId,
    engine,
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
    leakage: { ...leakage, pairs: [] },
    skipped: skipped.map((s) => ({ path: s.item.path, reason: s.reason })),
    openSet,
    previous: previous
      ? {
          runId: previous.runId,
          sameConfig: previous.sameConfig,
          testTop1: previous.metrics.test.top1,
          testMacroF1: previous.metrics.test.macro.f1,
        }
      : null,
  };
  await writeReport(ctx, metrics, testScores, {
    previous: previous
      ? comparePrevious(previous.runId, previous.sameConfig, previous.metrics.test, testMetrics)
      : null,
  });
  await logToTracker(ctx, metrics);
  logHeadline(ctx, testMetrics, temperature);
  await enforceGate(ctx, gate);
  const k = topK.find((x) => x !== 1);
  return {
    top1: round(testMetrics.top1),
    ...(k ? { [`top${k}`]: round(testMetrics.topK[String(k)] ?? 0) } : {}),
    macroF1: round(testMetrics.macro.f1),
    ece: round(testMetrics.eceCalibrated),
    temperature: round(temperature),
    gate: gate.checks.length ? 'passed' : 'none',
  };
}

/** The split must not leak: test photos that duplicate training photos (by the dataset's own rule) fail the stage. */
async function recheckLeakage(
  ctx: StageContext<EvaluateInputs>,
): Promise<{ checked: number; radius: number; unhashed: number }> {
  const { dataset } = ctx.inputs;
  const rule = ctx.config.data.nearDuplicate;
  const leaks = findTrainTestLeaks(dataset.records, await dataset.signatures(), rule);
  if (leaks.pairs.length > 0) {
    for (const p of leaks.pairs.slice(0, 50))
      ctx.log.error(
        `leak: test ${p.test} ≈ train ${p.train} (Hamming ${p.distance}, detail ${p.detail.toFixed(3)})`,
      );
    const shown = leaks.pairs
      .slice(0, 3)
      .map((p) => `${p.test} ≈ ${p.train} (${p.distance})`)
      .join(', ');
    throw new WorkError(
      `${leaks.pairs.length} test/train near-duplicate pair(s) within Hamming ${rule.hamming}: ${shown}${leaks.pairs.length > 3 ? ', …' : ''}`,
      {
        where: dataset.manifestPath,
        hint: 'the split leaks; run the dataset stage again (pipeline run --from dataset) or remove the duplicates',
      },
    );
  }
  if (leaks.unhashed > 0)
    ctx.log.warn(`${leaks.unhashed} test images have no perceptual hash; the leakage check skipped them`);
  return { checked: leaks.checked, radius: rule.hamming, unhashed: leaks.unhashed };
}

function nonEmpty(items: EvalItem[], split: string, manifestPath: string): EvalItem[] {
  if (items.length === 0)
    throw new WorkError(`the ${split} split is empty`, {
      where: manifestPath,
      hint: `raise data.split.${split === 'validation' ? 'val' : split} or add photos`,
    });
  return items;
}

type NegativeItem = { file: string; path: string; labelIndex: number; group: string };

/** Val, test and data.negatives predictions through the fast engine (ONNX Runtime; tfjs as fallback), with the open-set outputs. */
async function scoreSplits(
  ctx: StageContext<EvaluateInputs>,
  val: EvalItem[],
  test: EvalItem[],
): Promise<OpenSetPredictions<EvalItem> & { engine: string }> {
  const { train, dataset } = ctx.inputs;
  const negatives = (split: 'val' | 'test'): NegativeItem[] =>
    dataset.negatives
      .filter((n) => n.split === split)
      .map((n) => ({ file: n.file, path: `${n.source}/${n.path}`, labelIndex: -1, group: n.group }));
  const negVal = negatives('val');
  const negTest = negatives('test');
  const engine = await openTrainedModel(train, ctx.config.engine, ctx.log, [
    MODEL_OUTPUTS.embedding,
    MODEL_OUTPUTS.logits,
  ]);
  try {
    if (engine.outputs[0]!.size !== train.labels.length) {
      throw new UsageError(
        `the model has ${engine.outputs[0]!.size} outputs but labels.json lists ${train.labels.length} classes`,
        { where: join(train.dir, 'labels.json'), hint: 'run the train stage again' },
      );
    }
    const negativeCount = negVal.length + negTest.length;
    ctx.log.info(
      `predicting ${test.length} test, ${val.length} val${negativeCount ? ` and ${negativeCount} negative` : ''} images with ${engine.description}`,
    );
    const progress = ctx.progress('evaluate', test.length + val.length + negativeCount, 'img');
    try {
      const options = { progress, signal: ctx.signal };
      const valScores = await predictAll(engine, val, train.preprocess, options);
      const testScores = await predictAll(engine, test, train.preprocess, options);
      const negativesOf = async (items: NegativeItem[]) =>
        items.length ? predictAll(engine, items, train.preprocess, options) : null;
      return {
        engine: engine.description,
        val: valScores,
        test: testScores,
        negativesVal: await negativesOf(negVal),
        negativesTest: await negativesOf(negTest),
      };
    } finally {
      progress.stop();
    }
  } finally {
    await engine.dispose();
  }
}

/** metrics.json, report.html, the confusion matrix (SVG + PNG) and the reliability diagram. */
async function writeReport(
  ctx: StageContext<EvaluateInputs>,
  metrics: MetricsFile,
  testScores: Scored<EvalItem>,
  extra: { previous: Parameters<typeof renderReportHtml>[0]['previous'] },
): Promise<void> {
  const { test, val, labels, calibration } = metrics;
  const names = labels.map((l: Label) => l.name);
  const confusionSvg = await renderSvg(confusionSpec(names, test.confusion, 'Confusion matrix (test)'));
  const charts = {
    confusion: confusionSvg,
    reliability: await renderSvg(
      reliabilitySpec(test.reliability, test.reliabilityCalibrated, calibration.temperature),
    ),
    perClass: await renderSvg(perClassSpec(test.perClass)),
  };
  const { gallery, misclassified } = await topLossGallery(
    testScores.items,
    testScores.probs,
    labels,
    GALLERY_SIZE,
  );
  const html = renderReportHtml({
    title: `Evaluation of ${ctx.config.model.name}`,
    runId: ctx.runId,
    created: metrics.created,
    engine: metrics.engine,
    temperature: calibration.temperature,
    test,
    val,
    topK: metrics.topK,
    gate: metrics.gate,
    gateFailures: describeFailures(metrics.gate),
    leakage: { checked: metrics.leakage.checked, radius: metrics.leakage.radius, pairs: [] },
    charts,
    gallery,
    misclassifiedTotal: misclassified,
    previous: extra.previous,
    openSet: metrics.openSet,
    openSetChart: metrics.openSet?.curves.length
      ? await renderSvg(openSetCurveSpec(metrics.openSet.curves, chosenPoints(metrics.openSet)))
      : null,
  });
  await writeMetricsFile(join(ctx.outDir, 'metrics.json'), metrics);
  await writeFileAtomic(join(ctx.outDir, 'report.html'), html);
  await writeFileAtomic(join(ctx.outDir, 'confusion.svg'), confusionSvg);
  await writeFileAtomic(join(ctx.outDir, 'confusion.png'), await svgToPng(confusionSvg));
  await writeFileAtomic(join(ctx.outDir, 'reliability.svg'), charts.reliability);
}

function logHeadline(ctx: StageContext<EvaluateInputs>, test: SplitMetrics, temperature: number): void {
  const k = ctx.config.evaluate.topK.find((x) => x !== 1);
  ctx.log.info(
    `test top-1 ${(test.top1 * 100).toFixed(2)}%${k ? `, top-${k} ${((test.topK[String(k)] ?? 0) * 100).toFixed(2)}%` : ''}, macro F1 ${test.macro.f1.toFixed(3)}, ECE ${test.ece.toFixed(3)} → ${test.eceCalibrated.toFixed(3)} (T=${temperature.toFixed(2)})`,
  );
}

/** Where the fitted threshold sits on each curve (the point with the closest threshold). */
function chosenPoints(openSet: OpenSetMetrics) {
  return openSet.curves.map((c) => {
    const best = c.points.reduce((a, b) =>
      Math.abs(b.threshold - openSet.thresholds.open) < Math.abs(a.threshold - openSet.thresholds.open)
        ? b
        : a,
    );
    return { split: c.split, keptKnown: best.keptKnown, acceptedUnknown: best.acceptedUnknown };
  });
}

function logOpenSet(ctx: StageContext<EvaluateInputs>, openSet: OpenSetMetrics): void {
  const { test, negativesTest } = openSet.statuses;
  const share = (n: number, of: number) => `${((n / Math.max(1, of)) * 100).toFixed(1)}%`;
  const candidates = openSet.candidates
    .filter((c) => c.test)
    .map((c) => `${c.score} AUROC ${c.test!.auroc.toFixed(3)} FPR@95 ${share(c.test!.fprAt95, 1)}`)
    .join('; ');
  ctx.log.info(
    `open set: ${openSet.score} (${openSet.choice.chosenWith}), test identified & right ${share(test.identifiedRight ?? 0, test.count)}, uncertain ${share(test.uncertain, test.count)}, not recognised ${share(test.notRecognized, test.count)}${negativesTest ? `; test negatives not identified ${share(negativesTest.count - negativesTest.identified, negativesTest.count)}` : ''}${candidates ? ` (test vs negatives: ${candidates})` : ''}`,
  );
}

/** A failed gate keeps the report in the work folder (the stage output is discarded) and fails the stage (exit 1). */
async function enforceGate(ctx: StageContext<EvaluateInputs>, gate: GateResult): Promise<void> {
  if (gate.passed) return;
  const failures = describeFailures(gate);
  const kept = join(ctx.workDir, 'failed-gate');
  await mkdir(kept, { recursive: true });
  await cp(ctx.outDir, kept, { recursive: true });
  for (const line of failures) ctx.log.error(`gate failed: ${line}`);
  throw new WorkError(
    `gate failed: ${failures[0]}${failures.length > 1 ? ` (+${failures.length - 1} more)` : ''}`,
    {
      where: 'evaluate.gate',
      hint: `report: ${join(kept, 'report.html')}; export does not run`,
    },
  );
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
