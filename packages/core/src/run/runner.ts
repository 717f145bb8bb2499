import { access, constants, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { writeDirAtomic, writeFileAtomic, writeJsonAtomic } from '../atomic.js';
import type { LoadedConfig } from '../config/load.js';
import { isPlantidError, UsageError, WorkError } from '../errors.js';
import { hashJson } from '../hash.js';
import type { Logger } from '../logger.js';
import { resolvePath } from '../paths.js';
import type { ProgressFactory } from '../progress.js';
import { silentProgress } from '../progress-bars.js';
import { readStageInputs, type StageContext, type StageDefinition, type StageSummary } from '../stage.js';
import { noopTracker, type Tracker } from '../tracker.js';
import { codeHash } from './code-hash.js';
import { type GitInfo, gitInfo, type RunEnvironment, runEnvironment } from './environment.js';
import { createRunId, type RunLayout, runLayout, stageMetaFile } from './layout.js';
import { type PlannedStage, type PlanRequest, planStages } from './plan.js';
import {
  type FinishedOutput,
  findFinishedOutput,
  hashStageOutput,
  linkTree,
  listRunIds,
  type StageMeta,
} from './reuse.js';

export type StageStatus = 'ran' | 'reused' | 'failed' | 'not-run' | 'will-run' | 'will-reuse';

export interface StageResult {
  name: string;
  status: StageStatus;
  /** Cache key; absent in a dry run when an upstream stage has not produced its output yet. */
  key?: string;
  outputHash?: string;
  /** Run id whose output was reused. */
  reusedFrom?: string;
  durationMs: number;
  summary?: StageSummary;
  /** Why it is (re)run: `forced`, `--from`, `no cached output`, `upstream changed`. */
  reason?: string;
  error?: string;
}

export type RunStatus = 'running' | 'done' | 'failed' | 'interrupted' | 'dry-run';

/** `run.json`, and what runPipeline returns. */
export interface RunRecord {
  runId: string;
  status: RunStatus;
  runDir: string;
  configPath: string;
  configHash: string;
  git: GitInfo | null;
  environment: RunEnvironment;
  pid: number;
  host: string;
  started: string;
  finished?: string;
  durationMs?: number;
  /** The command line that made it, for `runs show`. */
  argv?: string[];
  stages: StageResult[];
  /** One-line error when status is failed. */
  error?: string;
  /** Exit code the CLI should end with (0 done or dry run, 1 work failed, 2 usage). */
  exitCode: number;
}

export type TrackerOutcome = 'FINISHED' | 'FAILED' | 'KILLED';
export type ClosableTracker = Tracker & { finish?(status: TrackerOutcome): Promise<unknown> };

export interface RunPipelineOptions {
  loaded: LoadedConfig;
  registry: readonly StageDefinition[];
  request?: PlanRequest;
  /** Rerun every planned stage. */
  force?: boolean;
  /** Print the plan; write nothing. */
  dryRun?: boolean;
  log: Logger;
  progress?: ProgressFactory;
  /**
   * Opens the run's tracker once the run id is known, when the first stage actually runs
   * (a fully cached run opens none). `finish` is called with the run's outcome.
   */
  openTracker?: (runId: string) => Promise<ClosableTracker>;
  signal?: AbortSignal;
  /** Default: `config.runsDir` resolved against the config's folder. */
  runsDir?: string;
  argv?: string[];
  /** Facts about the machine the app knows and core does not (apps/pipeline: the tfjs backends), recorded in run.json. */
  environment?: Record<string, unknown>;
}

const secretKey = /token|password|secret/i;

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        secretKey.test(k) && typeof v === 'string' ? '<redacted>' : redact(v),
      ]),
    );
  }
  return value;
}

function pick(config: LoadedConfig['config'], keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, (config as Record<string, unknown>)[k] ?? null]));
}

/** The runs dir must be (or become) a writable folder; checked before anything is written. */
export async function checkRunsDirWritable(runsDir: string, source: string): Promise<void> {
  let dir = runsDir;
  for (;;) {
    const info = await stat(dir).catch((e: NodeJS.ErrnoException) => e);
    if (!(info instanceof Error)) {
      if (!info.isDirectory()) {
        throw new UsageError(`runs dir ${runsDir} is not writable: ${dir} is not a folder`, {
          where: source,
          hint: 'set runsDir to a writable folder (--set runsDir=...)',
        });
      }
      break;
    }
    if ((info.code !== 'ENOENT' && info.code !== 'ENOTDIR') || dirname(dir) === dir) {
      throw new UsageError(`runs dir ${runsDir} is not usable: ${info.code}`, {
        where: source,
        hint: 'set runsDir to a writable folder',
      });
    }
    dir = dirname(dir);
  }
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw new UsageError(`runs dir ${runsDir} is not writable (${dir} is read-only for this user)`, {
      where: source,
      hint: 'set runsDir to a writable folder (--set runsDir=...)',
    });
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The newest run with the same config that did not finish and is not running now: a rerun continues it. */
async function findResumableRun(runsDir: string, configHash: string): Promise<RunRecord | undefined> {
  for (const id of await listRunIds(runsDir)) {
    const record = await readRunRecord(runsDir, id);
    if (!record || record.configHash !== configHash) continue;
    if (record.status === 'done') return undefined;
    if (
      record.status === 'running' &&
      record.host === hostname() &&
      pidAlive(record.pid) &&
      record.pid !== process.pid
    )
      continue;
    return record;
  }
  return undefined;
}

export async function readRunRecord(runsDir: string, runId: string): Promise<RunRecord | undefined> {
  try {
    return JSON.parse(await readFile(join(runsDir, runId, 'run.json'), 'utf8')) as RunRecord;
  } catch {
    return undefined;
  }
}

/**
 * Runs the planned stages of a pipeline. Each stage's cache key is the hash of its config
 * sections, its upstream outputs' content hashes, its fingerprint, the hash of the code it runs
 * and its version; a stage whose key matches a finished output (in this run or an earlier one
 * under the same runs dir) is reused, the rest run into a temp dir renamed into
 * `runs/<run-id>/<stage>/`. A rerun of a config whose last run did not finish continues that run.
 * Usage problems throw before anything is written; a failing stage ends the run with status `failed`.
 */
export async function runPipeline(options: RunPipelineOptions): Promise<RunRecord> {
  const run = await PipelineRun.open(options);
  for (const planned of run.plan) await run.visit(planned);
  return run.close();
}

/** One `runPipeline` call: its plan, run record, tracker and the output hashes of the stages so far. */
class PipelineRun {
  private tracker: ClosableTracker = noopTracker;
  private trackerStarted = false;
  private failure: unknown;
  private readonly outputHashes = new Map<string, string | undefined>();
  private readonly progress: ProgressFactory;
  private readonly signal: AbortSignal;

  private constructor(
    private readonly options: RunPipelineOptions,
    readonly plan: PlannedStage[],
    private readonly runsDir: string,
    private readonly layout: RunLayout,
    private readonly record: RunRecord,
    private readonly started: number,
  ) {
    this.progress = options.progress ?? silentProgress;
    this.signal = options.signal ?? new AbortController().signal;
  }

  /** Plans and validates (throwing usage errors before anything is written), then opens or resumes the run folder. */
  static async open(options: RunPipelineOptions): Promise<PipelineRun> {
    const { loaded } = options;
    const { config } = loaded;
    const started = Date.now();
    const runsDir = options.runsDir ?? resolvePath(loaded, config.runsDir);
    const request: PlanRequest = options.request ?? {};
    const plan = planStages(options.registry, {
      ...request,
      stages: request.stages ?? config.stages,
      stagesSource: request.stages ? (request.stagesSource ?? '--stages') : `${loaded.displayPath}: stages`,
    });
    for (const { definition } of plan) await definition.validate?.(config, loaded.configDir);
    if (!options.dryRun) await checkRunsDirWritable(runsDir, `${loaded.displayPath}: runsDir`);

    const resumable = options.dryRun ? undefined : await findResumableRun(runsDir, loaded.hash);
    const runId = resumable?.runId ?? createRunId();
    const layout = runLayout(runsDir, runId);
    const record: RunRecord = {
      runId,
      status: options.dryRun ? 'dry-run' : 'running',
      runDir: layout.runDir,
      configPath: loaded.configPath,
      configHash: loaded.hash,
      git: (await gitInfo(loaded.configDir)) ?? null,
      environment: runEnvironment(options.environment),
      pid: process.pid,
      host: hostname(),
      started: new Date(started).toISOString(),
      ...(options.argv ? { argv: options.argv } : {}),
      stages: [],
      exitCode: 0,
    };
    const run = new PipelineRun(options, plan, runsDir, layout, record, started);
    if (!options.dryRun) {
      await mkdir(layout.runDir, { recursive: true });
      await removeStaleTemps(layout.runDir);
      await writeFileAtomic(
        layout.configSnapshot,
        `# resolved from ${loaded.configPath}\n${stringify(redact(config))}`,
      );
      await run.save();
      options.log.info(`${resumable ? 'resuming' : 'run'} ${runId} → ${layout.runDir}`, { runId });
    }
    return run;
  }

  private save(): Promise<void> {
    return this.options.dryRun ? Promise.resolve() : writeJsonAtomic(this.layout.runFile, this.record);
  }

  /** Decides what one planned stage does — skip, plan, reuse or run — and does it. */
  async visit({ definition, forced, requested }: PlannedStage): Promise<void> {
    const name = definition.name;
    const log = this.options.log.child({ stage: name });
    if (this.failure !== undefined || this.signal.aborted) {
      this.record.stages.push({ name, status: 'not-run', durationMs: 0 });
      return;
    }
    const upstream = definition.needs.map((need) => [need, this.outputHashes.get(need)] as const);
    if (upstream.some(([, hash]) => hash === undefined)) {
      // Dry run only: an upstream stage will run, so this key is not known yet.
      this.record.stages.push({ name, status: 'will-run', durationMs: 0, reason: 'upstream will run' });
      this.outputHashes.set(name, undefined);
      return;
    }
    const key = await this.stageKey(definition, Object.fromEntries(upstream));
    const rerun = this.options.force ? 'forced (--force)' : forced ? 'forced (--from)' : undefined;
    const cached = rerun ? undefined : await findFinishedOutput(this.runsDir, name, key, this.record.runId);
    if (this.options.dryRun) this.planOnly(name, key, cached, rerun);
    else if (cached) await this.reuse(name, key, cached, log);
    else {
      const reason = rerun ?? (requested ? 'no cached output' : 'needed upstream, no cached output');
      await this.execute(definition, key, reason, forced, log);
    }
  }

  /** Config sections, upstream output hashes, external inputs, the code it runs and its version. */
  private async stageKey(
    definition: StageDefinition,
    inputs: Record<string, string | undefined>,
  ): Promise<string> {
    const { config, configDir } = this.options.loaded;
    return hashJson({
      stage: definition.name,
      version: definition.version,
      configDir,
      config: pick(config, definition.configKeys as readonly string[]),
      inputs,
      fingerprint: (await definition.fingerprint?.(config, configDir)) ?? null,
      code: definition.code ? await codeHash(definition.code) : null,
    });
  }

  private planOnly(
    name: string,
    key: string,
    cached: FinishedOutput | undefined,
    rerun: string | undefined,
  ): void {
    this.record.stages.push(
      cached
        ? {
            name,
            status: 'will-reuse',
            key,
            reusedFrom: cached.meta.runId,
            outputHash: cached.meta.outputHash,
            durationMs: 0,
          }
        : { name, status: 'will-run', key, durationMs: 0, reason: rerun ?? 'no cached output' },
    );
    this.outputHashes.set(name, cached?.meta.outputHash);
  }

  /** Links a finished output with the same key into this run. */
  private async reuse(name: string, key: string, cached: FinishedOutput, log: Logger): Promise<void> {
    const stageDir = this.layout.stageDir(name);
    const stageStart = Date.now();
    if (cached.dir !== stageDir) {
      await writeDirAtomic(stageDir, async (tmp) => {
        await linkTree(cached.dir, tmp, (f) => f === stageMetaFile);
        await writeJsonAtomic(join(tmp, stageMetaFile), {
          ...cached.meta,
          reusedFrom: cached.meta.reusedFrom ?? cached.meta.runId,
        });
      });
    }
    const from = cached.meta.reusedFrom ?? cached.meta.runId;
    log.info(`up to date, skipped (key ${key.slice(0, 8)}, output of run ${from})`);
    this.outputHashes.set(name, cached.meta.outputHash);
    this.record.stages.push({
      name,
      status: 'reused',
      key,
      outputHash: cached.meta.outputHash,
      reusedFrom: from,
      durationMs: Date.now() - stageStart,
      ...(cached.meta.summary ? { summary: cached.meta.summary } : {}),
    });
    await this.save();
  }

  /** Runs a stage into a temp folder renamed into place; a failure is recorded and ends the run. */
  private async execute(
    definition: StageDefinition,
    key: string,
    reason: string,
    forced: boolean,
    log: Logger,
  ): Promise<void> {
    const { config, configDir } = this.options.loaded;
    const { layout } = this;
    const name = definition.name;
    if (!this.trackerStarted) {
      this.trackerStarted = true;
      this.tracker = await openTracker(this.options, this.record.runId, log);
      await startTracking(this.tracker, this.record, config, log);
    }
    log.info(`running (${reason}; key ${key.slice(0, 8)})`);
    const workDir = layout.workDir(name, key);
    if (this.options.force || forced) await rm(workDir, { recursive: true, force: true });
    await mkdir(workDir, { recursive: true });
    await mkdir(layout.cacheDir, { recursive: true });
    const stageStart = Date.now();
    const result: StageResult = { name, status: 'ran', key, durationMs: 0, reason };
    this.record.stages.push(result);
    await this.save();
    try {
      const inputDirs = Object.fromEntries(definition.needs.map((need) => [need, layout.stageDir(need)]));
      // Upstream outputs are read (and checked against their contracts) before anything is written.
      const inputs = await readStageInputs(definition, inputDirs, { config, configDir });
      const meta = await writeDirAtomic(layout.stageDir(name), async (outDir) => {
        const ctx: StageContext = {
          config,
          configDir,
          runId: this.record.runId,
          runDir: layout.runDir,
          outDir,
          workDir,
          cacheDir: layout.cacheDir,
          inputs,
          inputDirs,
          log,
          progress: this.progress,
          tracker: this.tracker,
          signal: this.signal,
        };
        const summary = (await definition.run(ctx)) ?? undefined;
        if (this.signal.aborted) throw new WorkError('interrupted', { where: name });
        const finished = Date.now();
        const stageMeta: StageMeta = {
          stage: name,
          version: definition.version,
          key,
          outputHash: await hashStageOutput(outDir),
          runId: this.record.runId,
          started: new Date(stageStart).toISOString(),
          finished: new Date(finished).toISOString(),
          durationMs: finished - stageStart,
          ...(summary ? { summary } : {}),
        };
        await writeJsonAtomic(join(outDir, stageMetaFile), stageMeta);
        return stageMeta;
      });
      await rm(workDir, { recursive: true, force: true });
      Object.assign(result, {
        outputHash: meta.outputHash,
        durationMs: meta.durationMs,
        ...(meta.summary ? { summary: meta.summary } : {}),
      });
      this.outputHashes.set(name, meta.outputHash);
      log.info(`done in ${(meta.durationMs / 1000).toFixed(1)} s`);
    } catch (error) {
      this.failure = error;
      Object.assign(result, {
        status: 'failed',
        durationMs: Date.now() - stageStart,
        error: errorLine(error),
      });
      log.error(`failed: ${errorLine(error)}`);
    }
    await this.save();
  }

  /** The run's outcome into run.json and the tracker. */
  async close(): Promise<RunRecord> {
    const { record, failure, signal } = this;
    const { log } = this.options;
    record.finished = new Date().toISOString();
    record.durationMs = Date.now() - this.started;
    if (this.options.dryRun) record.status = 'dry-run';
    else if (failure !== undefined) {
      record.status = signal.aborted ? 'interrupted' : 'failed';
      record.error = errorLine(failure);
      record.exitCode = isPlantidError(failure) ? failure.exitCode : 1;
    } else if (signal.aborted) {
      record.status = 'interrupted';
      record.error = 'interrupted';
      record.exitCode = 1;
    } else record.status = 'done';
    await this.save();
    if (this.trackerStarted) {
      const outcome: TrackerOutcome =
        record.status === 'done' ? 'FINISHED' : record.status === 'interrupted' ? 'KILLED' : 'FAILED';
      await this.tracker
        .finish?.(outcome)
        .catch((error: unknown) => log.warn(`tracking: ${errorLine(error)}`));
    }
    if (failure !== undefined && !isPlantidError(failure) && process.env.PLANTID_DEBUG)
      log.error(String((failure as Error).stack));
    return record;
  }
}

export function errorLine(error: unknown): string {
  if (isPlantidError(error)) return error.toLine();
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!;
}

async function openTracker(
  options: RunPipelineOptions,
  runId: string,
  log: Logger,
): Promise<ClosableTracker> {
  if (!options.openTracker) return noopTracker;
  try {
    return await options.openTracker(runId);
  } catch (error) {
    log.warn(`tracking unavailable, continuing without it: ${errorLine(error)}`);
    return noopTracker;
  }
}

async function startTracking(
  tracker: Tracker,
  record: RunRecord,
  config: LoadedConfig['config'],
  log: Logger,
) {
  try {
    await tracker.setTags({
      'plantid.runId': record.runId,
      'plantid.configHash': record.configHash,
      ...(record.git ? { 'plantid.gitCommit': record.git.commit } : {}),
    });
    await tracker.logParams(flattenParams(redact(config) as Record<string, unknown>));
  } catch (error) {
    log.warn(`tracking unavailable, continuing without it: ${errorLine(error)}`);
  }
}

/** `{ train: { head: { lr: 0.001 } } }` → `{ 'train.head.lr': 0.001 }`; lists become JSON text. */
export function flattenParams(
  value: Record<string, unknown>,
  prefix = '',
): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, v] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (v && typeof v === 'object' && !Array.isArray(v))
      Object.assign(out, flattenParams(v as Record<string, unknown>, path));
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[path] = v;
    else if (v !== undefined) out[path] = JSON.stringify(v);
  }
  return out;
}

/** Temp dirs of a killed run (`.<stage>.tmp-…`) are ours and never finished: remove them before resuming. */
async function removeStaleTemps(runDir: string): Promise<void> {
  for (const name of await readdir(runDir).catch(() => [] as string[])) {
    if (name.startsWith('.') && name.includes('.tmp-'))
      await rm(join(runDir, name), { recursive: true, force: true });
  }
}
