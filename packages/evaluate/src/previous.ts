import { basename, dirname, join } from 'node:path';
import {
  listRunIds,
  type MetricsFile,
  readMetricsFile,
  readRunRecord,
  type SplitMetrics,
} from '@plantid/core';
import type { PreviousComparison } from './report/html.js';

export interface PreviousEvaluation {
  runId: string;
  metrics: MetricsFile;
  /** True when the config file content is the same (same hash), not just the same file. */
  sameConfig: boolean;
}

/**
 * The newest earlier run of the same config file (run.json `configPath`) under the same runs
 * folder that has an evaluation. Without run records (library use) any earlier evaluation counts.
 */
export async function findPreviousEvaluation(runDir: string): Promise<PreviousEvaluation | null> {
  const runsDir = dirname(runDir);
  const runId = basename(runDir);
  const current = await readRunRecord(runsDir, runId);
  for (const id of await listRunIds(runsDir)) {
    if (id >= runId) continue;
    const record = await readRunRecord(runsDir, id);
    if (current && record && record.configPath !== current.configPath) continue;
    let metrics: MetricsFile;
    try {
      metrics = await readMetricsFile(join(runsDir, id, 'evaluate', 'metrics.json'));
    } catch {
      continue; // none, or one this plantid cannot read: nothing to compare with
    }
    return {
      runId: id,
      metrics,
      sameConfig: !!current && !!record && current.configHash === record.configHash,
    };
  }
  return null;
}

/** Headline figures and the largest class-recall changes against the previous evaluation. */
export function comparePrevious(
  runId: string,
  sameConfig: boolean,
  before: SplitMetrics,
  now: SplitMetrics,
): PreviousComparison {
  const rows: PreviousComparison['rows'] = [
    { name: 'top-1', previous: before.top1, now: now.top1, higherIsBetter: true },
    ...Object.entries(now.topK)
      .filter(([k]) => k !== '1')
      .map(([k, v]) => ({
        name: `top-${k}`,
        previous: before.topK[k] ?? null,
        now: v,
        higherIsBetter: true,
      })),
    { name: 'macro F1', previous: before.macro.f1, now: now.macro.f1, higherIsBetter: true },
    { name: 'weighted F1', previous: before.weighted.f1, now: now.weighted.f1, higherIsBetter: true },
    { name: 'ECE', previous: before.eceCalibrated, now: now.eceCalibrated, higherIsBetter: false },
  ];
  const previousRecall = new Map(before.perClass.map((c) => [c.id, c.recall]));
  const classRecall = now.perClass
    .filter((c) => previousRecall.has(c.id) && previousRecall.get(c.id) !== c.recall)
    .map((c) => ({ name: c.name, previous: previousRecall.get(c.id)!, now: c.recall }))
    .sort((a, b) => Math.abs(b.now - b.previous) - Math.abs(a.now - a.previous))
    .slice(0, 10);
  return { runId, sameConfig, rows, classRecall };
}
