import { join } from 'node:path';
import type { MetricsFile, StageContext } from '@plantid/core';

/** Headline figures (test and val), per-class test recall, the gate tag and the report files. */
export async function logToTracker(ctx: StageContext<unknown>, m: MetricsFile): Promise<void> {
  const figures: Record<string, number> = { 'calibration.temperature': m.calibration.temperature };
  for (const [split, s] of [
    ['test', m.test],
    ['val', m.val],
  ] as const) {
    figures[`${split}.top1`] = s.top1;
    for (const [k, v] of Object.entries(s.topK)) figures[`${split}.top${k}`] = v;
    figures[`${split}.macro_f1`] = s.macro.f1;
    figures[`${split}.weighted_f1`] = s.weighted.f1;
    figures[`${split}.log_loss`] = s.logLoss;
    figures[`${split}.ece`] = s.ece;
    figures[`${split}.ece_calibrated`] = s.eceCalibrated;
  }
  for (const c of m.test.perClass) figures[`test.recall.${c.id}`] = c.recall;
  await ctx.tracker.logMetrics(figures);
  await ctx.tracker.setTags({
    'plantid.gate': m.gate.checks.length === 0 ? 'none' : m.gate.passed ? 'passed' : 'failed',
  });
  for (const file of ['metrics.json', 'report.html', 'confusion.png']) {
    await ctx.tracker.logArtifact(join(ctx.outDir, file), `evaluate/${file}`);
  }
}
