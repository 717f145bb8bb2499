import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  configSchema,
  createMemoryLogger,
  noopTracker,
  type PlantidConfig,
  type ProgressFactory,
  type StageContext,
} from '@plantid/core';

export interface TestContext {
  ctx: StageContext;
  lines: string[];
  ticks: Record<string, number>;
}

/** A real StageContext over temp dirs: memory logger, counting progress, no tracking. */
export async function stageContext(
  data: Record<string, unknown>,
  options: { configDir: string; seed?: number },
): Promise<TestContext> {
  const base = await mkdtemp(join(tmpdir(), 'plantid-dataset-'));
  const config = {
    seed: options.seed ?? 42,
    data: configSchema.shape.data.parse(data),
  } as unknown as PlantidConfig;
  const ticks: Record<string, number> = {};
  const progress: ProgressFactory = (label) => ({
    tick: (n = 1) => {
      ticks[label] = (ticks[label] ?? 0) + n;
    },
    setTotal: () => {},
    stop: () => {},
  });
  const log = createMemoryLogger('json');
  const dirs = {
    outDir: join(base, 'out'),
    workDir: join(base, 'work'),
    cacheDir: join(base, 'cache'),
    runDir: join(base, 'run'),
  };
  for (const d of Object.values(dirs)) await mkdir(d, { recursive: true });
  const ctx: StageContext = {
    config,
    configDir: options.configDir,
    runId: 'test',
    ...dirs,
    inputs: {},
    inputDirs: {},
    log,
    progress,
    tracker: noopTracker,
    signal: new AbortController().signal,
  };
  return { ctx, lines: log.lines, ticks };
}
