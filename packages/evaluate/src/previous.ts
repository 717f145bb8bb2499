import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { listRunIds, readRunRecord } from '@plantid/core';
import type { MetricsFile } from './metrics-file.js';

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
      metrics = JSON.parse(await readFile(join(runsDir, id, 'evaluate', 'metrics.json'), 'utf8')) as MetricsFile;
    } catch {
      continue;
    }
    if (metrics.version !== 1 || !metrics.test) continue;
    return { runId: id, metrics, sameConfig: !!current && !!record && current.configHash === record.configHash };
  }
  return null;
}
