import { join } from 'node:path';
import type { Logger, ProgressFactory, Tracker } from '@plantid/core';
import { createRandom, formatDuration } from '@plantid/core';
import * as tf from '@tensorflow/tfjs';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { smoothedCrossEntropy } from './head.js';

/** Rows of samples (features or activations) with integer labels, stored flat. */
export interface Samples {
  x: Float32Array;
  /** Shape of one sample, e.g. [1280] or [7, 7, 56]. */
  shape: number[];
  y: Int32Array;
}

export interface Trainable {
  /** Variables to train, in a fixed order. */
  variables: tf.Variable[];
  /** Logits for a batch; `dropoutSeed` given = training step. */
  logits(x: tf.Tensor, dropoutSeed?: number): tf.Tensor2D;
}

export interface EpochRecord {
  phase: string;
  epoch: number;
  loss: number;
  acc: number;
  val_loss: number;
  val_acc: number;
  lr: number;
  seconds: number;
  imagesPerSecond: number;
}

export interface PhaseOptions {
  phase: 'head' | 'finetune';
  epochs: number;
  batchSize: number;
  lr: number;
  earlyStoppingPatience: number;
  plateau: { factor: number; patience: number };
  labelSmoothing: number;
  /** Per class index; undefined = unweighted. */
  classWeights?: Float32Array;
  seed: number;
  /** Checkpoints live in `<checkpointDir>/<phase>/{last,best}/`. */
  checkpointDir: string;
  /** Global epoch number of this phase's first epoch (phase 2 continues phase 1's numbering). */
  epochOffset: number;
  log: Logger;
  tracker?: Tracker;
  progress?: ProgressFactory;
  signal?: AbortSignal;
  /** Called after each epoch's checkpoint is written (tests use it to kill mid-phase). */
  onCheckpoint?: (epoch: number) => void;
}

export interface PhaseResult {
  history: EpochRecord[];
  bestEpoch: number;
  bestValLoss: number;
  bestValAcc: number;
  epochsRun: number;
  stoppedEarly: boolean;
  /** Epoch the run resumed after, when a checkpoint was found. */
  resumedAfter?: number;
  seconds: number;
}

interface LoopState {
  epoch: number;
  lr: number;
  best: number;
  bestEpoch: number;
  bestValAcc: number;
  wait: number;
  plateauWait: number;
  history: EpochRecord[];
  finished: boolean;
  stoppedEarly: boolean;
  seconds: number;
  optimizerArrays: number;
}

const MIN_DELTA = 1e-4;
const MIN_LR = 1e-7;

function seedOf(...parts: number[]): number {
  let h = 2166136261;
  for (const p of parts) {
    h ^= p >>> 0;
    h = Math.imul(h, 16777619) >>> 0;
    h ^= h >>> 13;
  }
  return h >>> 0;
}

function shuffled(n: number, seed: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const random = createRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

function take(
  samples: Samples,
  rows: ArrayLike<number>,
  start: number,
  end: number,
): { x: tf.Tensor; y: tf.Tensor1D } {
  const per = samples.shape.reduce((a, b) => a * b, 1);
  const n = end - start;
  const x = new Float32Array(n * per);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[start + i]!;
    x.set(samples.x.subarray(r * per, (r + 1) * per), i * per);
    y[i] = samples.y[r]!;
  }
  return { x: tf.tensor(x, [n, ...samples.shape]), y: tf.tensor1d(y, 'int32') };
}

/** Loss (label-smoothed, unweighted) and accuracy of `model` on `samples`, in batches, inference mode. */
export function evaluateSamples(
  model: Trainable,
  samples: Samples,
  smoothing: number,
  batchSize = 256,
): { loss: number; acc: number } {
  const n = samples.y.length;
  if (n === 0) return { loss: Number.NaN, acc: Number.NaN };
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const idx = new Uint32Array(end - start).map((_, i) => start + i);
    const { x, y } = take(samples, idx, 0, end - start);
    const [l, c] = tf.tidy(() => {
      const logits = model.logits(x);
      return [
        smoothedCrossEntropy(logits, y, smoothing).mul(end - start),
        tf.equal(tf.argMax(logits, -1).toInt(), y).sum(),
      ];
    });
    lossSum += l!.dataSync()[0] ?? 0;
    correct += c!.dataSync()[0] ?? 0;
    tf.dispose([x, y, l!, c!]);
  }
  return { loss: lossSum / n, acc: correct / n };
}

function fmt(v: number, digits = 4): string {
  return Number.isFinite(v) ? v.toFixed(digits) : 'n/a';
}

/**
 * One training phase with Keras-like callbacks: Adam, per-step seeded dropout and shuffling,
 * best-by-val-loss weights restored at the end, early stopping, reduce-LR-on-plateau, a line
 * per epoch, per-epoch metrics to the tracker, and a checkpoint after every epoch so a killed
 * run resumes where it stopped (weights, Adam moments, counters, history).
 */
export async function trainPhase(
  model: Trainable,
  train: Samples,
  val: Samples,
  options: PhaseOptions,
): Promise<PhaseResult> {
  const vars = model.variables;
  const lastDir = join(options.checkpointDir, options.phase, 'last');
  const bestDir = join(options.checkpointDir, options.phase, 'best');
  const optimizer = tf.train.adam(options.lr);
  const setLr = (lr: number) => {
    (optimizer as unknown as { learningRate: number }).learningRate = lr;
  };
  const snapshot = () => vars.map((v) => ({ shape: v.shape, data: v.dataSync() as Float32Array }));
  const restore = (arrays: { shape: number[]; data: Float32Array }[]) => {
    vars.forEach((v, i) => {
      const a = arrays[i]!;
      v.assign(tf.tensor(a.data, a.shape));
    });
  };

  let state: LoopState = {
    epoch: 0,
    lr: options.lr,
    best: Number.POSITIVE_INFINITY,
    bestEpoch: 0,
    bestValAcc: Number.NaN,
    wait: 0,
    plateauWait: 0,
    history: [],
    finished: false,
    stoppedEarly: false,
    seconds: 0,
    optimizerArrays: 0,
  };
  let resumedAfter: number | undefined;
  const saved = await loadCheckpoint<LoopState>(lastDir);
  if (saved && saved.arrays.length >= vars.length) {
    state = saved.state;
    restore(saved.arrays.slice(0, vars.length));
    const opt = saved.arrays.slice(vars.length);
    if (opt.length > 0) {
      await optimizer.setWeights(opt.map((a, i) => ({ name: `w${i}`, tensor: tf.tensor(a.data, a.shape) })));
    }
    resumedAfter = state.epoch;
    options.log.info(
      state.finished
        ? `${options.phase}: finished in an earlier attempt (checkpoint ${lastDir}), reusing it`
        : `${options.phase}: resuming after epoch ${state.epoch}/${options.epochs} from checkpoint ${lastDir}`,
      { resumedAfter: state.epoch },
    );
  }
  setLr(state.lr);

  const classWeights = options.classWeights ? tf.tensor1d(options.classWeights) : undefined;
  const n = train.y.length;
  const steps = Math.ceil(n / options.batchSize);
  while (!state.finished && state.epoch < options.epochs) {
    options.signal?.throwIfAborted();
    const epoch = state.epoch + 1;
    const started = performance.now();
    const order = shuffled(n, seedOf(options.seed, options.phase === 'head' ? 1 : 2, epoch));
    const bar =
      options.phase === 'finetune'
        ? options.progress?.(`fine-tune epoch ${epoch}/${options.epochs}`, steps, 'steps')
        : undefined;
    let lossSum = 0;
    let correct = 0;
    for (let s = 0; s < steps; s++) {
      const start = s * options.batchSize;
      const end = Math.min(n, start + options.batchSize);
      const { x, y } = take(train, order, start, end);
      const dropoutSeed = seedOf(options.seed, 7, epoch, s);
      let hits: tf.Tensor | undefined;
      const cost = optimizer.minimize(
        () => {
          const logits = model.logits(x, dropoutSeed);
          hits = tf.keep(tf.equal(tf.argMax(logits, -1).toInt(), y).sum());
          return smoothedCrossEntropy(logits, y, options.labelSmoothing, classWeights);
        },
        true,
        vars,
      );
      lossSum += (cost!.dataSync()[0] ?? 0) * (end - start);
      correct += hits!.dataSync()[0] ?? 0;
      tf.dispose([x, y, cost!, hits!]);
      bar?.tick(1);
    }
    bar?.stop();
    const v = evaluateSamples(model, val, options.labelSmoothing);
    const seconds = (performance.now() - started) / 1000;
    const record: EpochRecord = {
      phase: options.phase,
      epoch: options.epochOffset + epoch,
      loss: lossSum / n,
      acc: correct / n,
      val_loss: v.loss,
      val_acc: v.acc,
      lr: state.lr,
      seconds,
      imagesPerSecond: n / seconds,
    };
    state.history.push(record);
    state.seconds += seconds;
    state.epoch = epoch;

    const improved = v.loss < state.best - MIN_DELTA;
    if (improved) {
      state.best = v.loss;
      state.bestEpoch = epoch;
      state.bestValAcc = v.acc;
      state.wait = 0;
      state.plateauWait = 0;
      await saveCheckpoint(bestDir, { state: { epoch }, arrays: snapshot() });
    } else {
      state.wait++;
      state.plateauWait++;
    }
    const eta = (state.seconds / state.history.length) * (options.epochs - epoch);
    options.log.info(
      `${options.phase} epoch ${epoch}/${options.epochs}  loss ${fmt(record.loss)}  acc ${fmt(record.acc)}  val_loss ${fmt(record.val_loss)}  val_acc ${fmt(record.val_acc)}  lr ${record.lr.toExponential(1)}  ${Math.round(record.imagesPerSecond)} img/s  ${seconds.toFixed(1)} s  ETA ${formatDuration(eta)}${improved ? '  *best' : ''}`,
    );
    await options.tracker?.logMetrics(
      {
        loss: record.loss,
        acc: record.acc,
        val_loss: record.val_loss,
        val_acc: record.val_acc,
        lr: record.lr,
        images_per_second: record.imagesPerSecond,
      },
      record.epoch,
    );
    if (state.wait >= options.earlyStoppingPatience) {
      options.log.info(
        `${options.phase}: early stopping (val_loss has not improved for ${state.wait} epochs; best epoch ${state.bestEpoch})`,
      );
      state.stoppedEarly = true;
      state.finished = true;
    } else if (state.plateauWait >= options.plateau.patience && state.lr > MIN_LR) {
      state.lr = Math.max(MIN_LR, state.lr * options.plateau.factor);
      state.plateauWait = 0;
      setLr(state.lr);
      options.log.info(`${options.phase}: val_loss plateaued; learning rate → ${state.lr.toExponential(1)}`);
    }
    if (epoch >= options.epochs) state.finished = true;
    const opt = await optimizer.getWeights();
    const optArrays = opt.map((w) => ({
      shape: w.tensor.shape,
      data: Float32Array.from(w.tensor.dataSync()),
    }));
    state.optimizerArrays = optArrays.length;
    await saveCheckpoint(lastDir, { state, arrays: [...snapshot(), ...optArrays] });
    options.onCheckpoint?.(epoch);
  }
  classWeights?.dispose();
  const best = await loadCheckpoint<{ epoch: number }>(bestDir);
  if (best) restore(best.arrays);
  optimizer.dispose();
  return {
    history: state.history,
    bestEpoch: state.bestEpoch,
    bestValLoss: state.best,
    bestValAcc: state.bestValAcc,
    epochsRun: state.epoch,
    stoppedEarly: state.stoppedEarly,
    resumedAfter,
    seconds: state.seconds,
  };
}
