import type { Logger, ProgressFactory, Tracker } from '@plantid/core';
import * as tf from '@tensorflow/tfjs';
import {
  BestCheckpoint,
  type Callback,
  checkpointDirs,
  EarlyStopping,
  EpochLogger,
  type EpochRecord,
  type LoopControl,
  ReduceLrOnPlateau,
  type Weights,
} from './callbacks.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { smoothedCrossEntropy } from './head.js';
import {
  evaluateSamples,
  type Samples,
  seedOf,
  shuffledOrder,
  type Trainable,
  takeBatch,
} from './samples.js';

export type { EpochRecord } from './callbacks.js';
export { evaluateSamples, type Samples, type Trainable } from './samples.js';

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

/** What the last-epoch checkpoint holds besides the weights and Adam moments. */
interface LoopState {
  epoch: number;
  lr: number;
  history: EpochRecord[];
  finished: boolean;
  stoppedEarly: boolean;
  seconds: number;
  callbacks: object[];
}

const MIN_LR = 1e-7;

/**
 * One training phase, Keras-style: Adam with per-step seeded dropout and per-epoch seeded
 * shuffling, then callbacks at every epoch end (best-val-loss weights, early stopping,
 * reduce-LR-on-plateau, a log line and tracker metrics) and a checkpoint of everything, so a
 * killed run resumes where it stopped (weights, Adam moments, counters, history).
 */
export async function trainPhase(
  model: Trainable,
  train: Samples,
  val: Samples,
  options: PhaseOptions,
): Promise<PhaseResult> {
  const loop = new PhaseLoop(model, train, val, options);
  try {
    await loop.resume();
    while (!loop.done) await loop.runEpoch();
    return await loop.finish();
  } finally {
    loop.dispose();
  }
}

class PhaseLoop implements LoopControl {
  private state: LoopState;
  private resumedAfter: number | undefined;
  private readonly optimizer: tf.AdamOptimizer;
  private readonly classWeights: tf.Tensor1D | undefined;
  private readonly dirs: { last: string; best: string };
  private readonly best: BestCheckpoint;
  private readonly callbacks: Callback[];

  constructor(
    private readonly model: Trainable,
    private readonly train: Samples,
    private readonly val: Samples,
    private readonly options: PhaseOptions,
  ) {
    this.state = {
      epoch: 0,
      lr: options.lr,
      history: [],
      finished: false,
      stoppedEarly: false,
      seconds: 0,
      callbacks: [],
    };
    this.optimizer = tf.train.adam(options.lr);
    this.classWeights = options.classWeights ? tf.tensor1d(options.classWeights) : undefined;
    this.dirs = checkpointDirs(options.checkpointDir, options.phase);
    this.best = new BestCheckpoint(this.dirs.best, {
      get: () => this.snapshot(),
      set: (weights) => this.restore(weights),
    });
    this.callbacks = [
      this.best,
      new EpochLogger(options.log, options.tracker, (epoch) => this.best.isBest(epoch)),
      new EarlyStopping({ patience: options.earlyStoppingPatience }),
      new ReduceLrOnPlateau({ ...options.plateau, minLr: MIN_LR }),
    ];
  }

  get phase(): string {
    return this.options.phase;
  }
  get epoch(): number {
    return this.state.epoch;
  }
  get epochs(): number {
    return this.options.epochs;
  }
  get history(): readonly EpochRecord[] {
    return this.state.history;
  }
  get lr(): number {
    return this.state.lr;
  }
  get stopped(): boolean {
    return this.state.stoppedEarly;
  }
  get done(): boolean {
    return this.state.finished || this.state.epoch >= this.options.epochs;
  }

  setLr(lr: number, reason: string): void {
    this.state.lr = lr;
    (this.optimizer as unknown as { learningRate: number }).learningRate = lr;
    this.options.log.info(`${this.phase}: ${reason}`);
  }

  stop(reason: string): void {
    this.state.stoppedEarly = true;
    this.state.finished = true;
    this.options.log.info(`${this.phase}: ${reason}`);
  }

  /** Continues from the last-epoch checkpoint of an earlier attempt, if there is one. */
  async resume(): Promise<void> {
    const vars = this.model.variables;
    const saved = await loadCheckpoint<LoopState>(this.dirs.last);
    if (saved && saved.arrays.length >= vars.length) {
      this.state = saved.state;
      this.restore(saved.arrays.slice(0, vars.length));
      const opt = saved.arrays.slice(vars.length);
      if (opt.length > 0)
        await this.optimizer.setWeights(
          opt.map((a, i) => ({ name: `w${i}`, tensor: tf.tensor(a.data, a.shape) })),
        );
      this.callbacks.forEach((c, i) => {
        if (saved.state.callbacks[i]) c.state = saved.state.callbacks[i]!;
      });
      this.resumedAfter = this.state.epoch;
      this.options.log.info(
        this.state.finished
          ? `${this.phase}: finished in an earlier attempt (checkpoint ${this.dirs.last}), reusing it`
          : `${this.phase}: resuming after epoch ${this.state.epoch}/${this.epochs} from checkpoint ${this.dirs.last}`,
        { resumedAfter: this.state.epoch },
      );
    }
    (this.optimizer as unknown as { learningRate: number }).learningRate = this.state.lr;
  }

  /** Trains one epoch, validates, runs the callbacks and checkpoints. */
  async runEpoch(): Promise<void> {
    this.options.signal?.throwIfAborted();
    const epoch = this.state.epoch + 1;
    const started = performance.now();
    const fit = await this.fitEpoch(epoch);
    const v = evaluateSamples(this.model, this.val, this.options.labelSmoothing);
    const seconds = (performance.now() - started) / 1000;
    const n = this.train.y.length;
    const record: EpochRecord = {
      phase: this.phase,
      epoch: this.options.epochOffset + epoch,
      loss: fit.loss,
      acc: fit.acc,
      val_loss: v.loss,
      val_acc: v.acc,
      lr: this.state.lr,
      seconds,
      imagesPerSecond: n / seconds,
    };
    this.state.history.push(record);
    this.state.seconds += seconds;
    this.state.epoch = epoch;
    for (const callback of this.callbacks) await callback.onEpochEnd(record, this);
    if (epoch >= this.epochs) this.state.finished = true;
    await this.saveLast();
    this.options.onCheckpoint?.(epoch);
  }

  /** The epoch's minibatches in a seeded order: one Adam step each, with seeded dropout. */
  private async fitEpoch(epoch: number): Promise<{ loss: number; acc: number }> {
    const { batchSize, seed, labelSmoothing } = this.options;
    const n = this.train.y.length;
    const steps = Math.ceil(n / batchSize);
    const order = shuffledOrder(n, seedOf(seed, this.phase === 'head' ? 1 : 2, epoch));
    const bar =
      this.phase === 'finetune'
        ? this.options.progress?.(`fine-tune epoch ${epoch}/${this.epochs}`, steps, 'steps')
        : undefined;
    let lossSum = 0;
    let correct = 0;
    for (let s = 0; s < steps; s++) {
      const start = s * batchSize;
      const end = Math.min(n, start + batchSize);
      const { x, y } = takeBatch(this.train, order, start, end);
      const dropoutSeed = seedOf(seed, 7, epoch, s);
      let hits: tf.Tensor | undefined;
      const cost = this.optimizer.minimize(
        () => {
          const logits = this.model.logits(x, dropoutSeed);
          hits = tf.keep(tf.equal(tf.argMax(logits, -1).toInt(), y).sum());
          return smoothedCrossEntropy(logits, y, labelSmoothing, this.classWeights);
        },
        true,
        this.model.variables,
      );
      lossSum += (cost!.dataSync()[0] ?? 0) * (end - start);
      correct += hits!.dataSync()[0] ?? 0;
      tf.dispose([x, y, cost!, hits!]);
      bar?.tick(1);
    }
    bar?.stop();
    return { loss: lossSum / n, acc: correct / n };
  }

  private async saveLast(): Promise<void> {
    const opt = await this.optimizer.getWeights();
    const optArrays = opt.map((w) => ({
      shape: w.tensor.shape,
      data: Float32Array.from(w.tensor.dataSync()),
    }));
    this.state.callbacks = this.callbacks.map((c) => c.state);
    await saveCheckpoint(this.dirs.last, { state: this.state, arrays: [...this.snapshot(), ...optArrays] });
  }

  /** Restores the best epoch's weights and reports the phase. */
  async finish(): Promise<PhaseResult> {
    for (const callback of this.callbacks) await callback.onTrainEnd();
    const { best, bestEpoch, bestValAcc } = this.best.state;
    return {
      history: this.state.history,
      bestEpoch,
      bestValLoss: best,
      bestValAcc,
      epochsRun: this.state.epoch,
      stoppedEarly: this.state.stoppedEarly,
      resumedAfter: this.resumedAfter,
      seconds: this.state.seconds,
    };
  }

  dispose(): void {
    this.classWeights?.dispose();
    this.optimizer.dispose();
  }

  private snapshot(): Weights {
    return this.model.variables.map((v) => ({ shape: v.shape, data: v.dataSync() as Float32Array }));
  }

  private restore(weights: Weights): void {
    this.model.variables.forEach((v, i) => {
      const a = weights[i]!;
      v.assign(tf.tensor(a.data, a.shape));
    });
  }
}
