import { performance } from 'node:perf_hooks';
import { type Bundle, readBundle, resolveBundle } from '@plantid/bundle';
import { cpuBudget, MODEL_OUTPUTS, type OpenSetParams, OpenSetScorer } from '@plantid/core';
import { createEngine } from '@plantid/engine';
import type { PreprocessSpec } from '@plantid/preprocess';
import { normalizeInto } from '@plantid/preprocess/normalize';
import { MicroBatcher } from './batcher.js';
import { inlineRunner, type ModelRunner } from './model-runner.js';
import type { Label } from './predictions.js';
import { createWorkerPool } from './worker-pool.js';

export type EngineKind = 'onnx' | 'tfjs';
export type OnnxVariant = 'fp32' | 'fp16' | 'int8';

export interface ModelLoadOptions {
  /** Where `name@alias` references are looked up. */
  registryDir: string;
  /** Relative bundle paths resolve against this folder. */
  baseDir: string;
  engine: EngineKind;
  /** ONNX Runtime intra-op threads per worker; 0 = usable CPUs / workers (at least 1). */
  threads: number;
  /** Inference worker threads; 0 = one per usable CPU. */
  inferenceWorkers?: number;
  variant: OnnxVariant;
  warmup: number;
  /** Run the engine in worker threads (default) instead of on the event loop's thread. */
  inferenceWorker?: boolean;
  batching: { maxBatch: number; maxWaitMs: number };
  onBatch?: (n: number, inferMs: number) => void;
}

export interface ModelSummary {
  name: string;
  version: string;
}

/**
 * One loaded, verified, warmed-up model with its own batcher. Requests hold it with
 * acquire/release so a reload can retire it only after the last of them finishes.
 */
export class ServingModel {
  readonly name: string;
  readonly version: string;
  readonly labels: readonly Label[];
  readonly labelIds: ReadonlySet<string>;
  readonly spec: PreprocessSpec;
  /** Softmax temperature from the bundle's calibration; null = none (1). */
  readonly temperature: number | null;
  /** The bundle's open-set score and its fitted thresholds; null for bundles exported without openset.json. */
  readonly openSet: { scorer: OpenSetScorer; params: OpenSetParams } | null;
  readonly loadedAt = new Date().toISOString();
  readonly batcher: MicroBatcher;
  private users = 0;
  private retired: (() => void) | undefined;

  constructor(
    readonly ref: string,
    readonly bundle: Bundle,
    readonly engine: ModelRunner,
    readonly engineKind: EngineKind,
    readonly variant: OnnxVariant | 'tfjs',
    options: Pick<ModelLoadOptions, 'batching' | 'onBatch'>,
    openSet: ServingModel['openSet'] = null,
  ) {
    this.openSet = openSet;
    this.name = bundle.name;
    this.version = String(bundle.version);
    this.labels = bundle.labels;
    this.labelIds = new Set(this.labels.map((l) => l.id));
    this.spec = bundle.preprocess;
    this.temperature = bundle.temperature === 1 ? null : bundle.temperature;
    const inputSize = this.spec.size * this.spec.size * 3;
    const spec = this.spec;
    this.batcher = new MicroBatcher((batch, n) => engine.run(batch, n), {
      inputSize,
      outputSize: engine.outputSize,
      maxBatch: options.batching.maxBatch,
      concurrency: engine.concurrency,
      normalizeInto: (rgb, out, offset) => normalizeInto(rgb, spec, out, offset),
      maxWaitMs: options.batching.maxWaitMs,
      onBatch: options.onBatch,
    });
  }

  get summary(): ModelSummary {
    return { name: this.name, version: this.version };
  }

  acquire(): void {
    this.users++;
  }

  release(): void {
    this.users--;
    if (this.users === 0 && this.retired) this.retired();
  }

  /** Waits for every request holding this model, then frees the engine. */
  async retire(): Promise<void> {
    if (this.users > 0) await new Promise<void>((resolve) => (this.retired = resolve));
    await this.batcher.drain();
    await this.engine.dispose();
  }

  /** Runs `n` inferences on every worker, on a mid-grey image, so the first real requests are not the slow ones. */
  async warmUp(n: number): Promise<void> {
    const size = this.spec.size * this.spec.size * 3;
    // A fresh input each time: a worker takes ownership of the buffer it is given.
    for (let i = 0; i < n; i++)
      await Promise.all(
        Array.from({ length: this.engine.concurrency }, () =>
          this.engine.run(new Uint8Array(size).fill(128), 1),
        ),
      );
  }
}

/** Resolve → verify (readBundle checks every sha256) → load the engine → warm up. Throws PlantidErrors naming the file. */
export async function loadServingModel(
  ref: string,
  options: ModelLoadOptions,
): Promise<{ model: ServingModel; loadMs: number }> {
  const started = performance.now();
  const dir = await resolveBundle(ref, options.registryDir, { baseDir: options.baseDir });
  const bundle = await readBundle(dir);
  const variant = options.engine === 'tfjs' ? 'tfjs' : options.variant;
  // The tfjs model has only its probabilities: the open-set gate needs the ONNX graph's other outputs.
  const openSet =
    bundle.openSet && options.engine === 'onnx'
      ? { scorer: await OpenSetScorer.load(bundle.dir, bundle.openSet), params: bundle.openSet }
      : null;
  const outputs = openSet?.scorer.needs.length
    ? [MODEL_OUTPUTS.probabilities, ...openSet.scorer.needs]
    : undefined;
  const engine = await createRunner(bundle, variant, options, outputs);
  const model = new ServingModel(ref, bundle, engine, options.engine, variant, options, openSet);
  try {
    checkShapes(model);
    await model.warmUp(options.warmup);
  } catch (error) {
    await engine.dispose();
    throw error;
  }
  return { model, loadMs: performance.now() - started };
}

/**
 * Worker and thread counts from the CPUs this process may use (cgroup quota, affinity): one
 * single-threaded session per CPU unless configured otherwise.
 */
async function createRunner(
  bundle: Bundle,
  variant: OnnxVariant | 'tfjs',
  options: ModelLoadOptions,
  outputs: string[] | undefined,
): Promise<ModelRunner> {
  const cpus = cpuBudget().cpus;
  const workers = options.inferenceWorker === false ? 1 : options.inferenceWorkers || cpus;
  const engineOptions = {
    kind: options.engine,
    model: bundle.modelPath(variant),
    threads: options.threads || Math.max(1, Math.floor(cpus / workers)),
    warmUp: false,
    ...(outputs ? { outputs } : {}),
  };
  if (options.inferenceWorker === false)
    return inlineRunner(await createEngine(engineOptions), bundle.preprocess);
  return createWorkerPool(engineOptions, bundle.preprocess, workers);
}

function checkShapes(model: ServingModel): void {
  const { engine, bundle, labels } = model;
  if (engine.outputs[0]!.size !== labels.length) {
    throw new Error(
      `${bundle.dir}: the model outputs ${engine.outputs[0]!.size} values but labels.json has ${labels.length} labels`,
    );
  }
}
