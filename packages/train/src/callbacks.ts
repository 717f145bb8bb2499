import { join } from 'node:path';
import { formatDuration, type Logger, type Tracker } from '@plantid/core';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';

/** One epoch's figures, as history.json and the tracker record them. */
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

/** What a callback may see and do at the end of an epoch (the phase's own epoch number, from 1). */
export interface LoopControl {
  readonly phase: string;
  readonly epoch: number;
  readonly epochs: number;
  readonly history: readonly EpochRecord[];
  readonly lr: number;
  readonly stopped: boolean;
  /** Changes the learning rate from the next epoch on; `reason` is logged. */
  setLr(lr: number, reason: string): void;
  /** Ends the phase after this epoch; `reason` is logged. */
  stop(reason: string): void;
}

export type Weights = { shape: number[]; data: Float32Array }[];

/**
 * A training-loop hook, one class per concept as in tfjs-layers' callbacks.ts. Its `state` is a
 * plain serialisable object: the loop saves it in every epoch's checkpoint and hands it back on
 * resume, so a killed run continues with the same patience counters and best values.
 */
export abstract class Callback<S extends object = object> {
  abstract state: S;
  async onEpochEnd(_record: EpochRecord, _loop: LoopControl): Promise<void> {}
  async onTrainEnd(): Promise<void> {}
}

/** An improvement of the monitored val_loss smaller than this does not count (Keras min_delta). */
export const MIN_DELTA = 1e-4;

const improves = (value: number, best: number) => value < best - MIN_DELTA;

/** Keeps the weights of the epoch with the lowest val_loss (on disk, for resume) and restores them at the end. */
export class BestCheckpoint extends Callback<{ best: number; bestEpoch: number; bestValAcc: number }> {
  state = { best: Number.POSITIVE_INFINITY, bestEpoch: 0, bestValAcc: Number.NaN };

  constructor(
    private readonly dir: string,
    private readonly weights: { get(): Weights; set(weights: Weights): void },
  ) {
    super();
  }

  /** True when `epoch` set the best val_loss so far. */
  isBest(epoch: number): boolean {
    return this.state.bestEpoch === epoch;
  }

  override async onEpochEnd(record: EpochRecord, loop: LoopControl): Promise<void> {
    if (!improves(record.val_loss, this.state.best)) return;
    this.state = { best: record.val_loss, bestEpoch: loop.epoch, bestValAcc: record.val_acc };
    await saveCheckpoint(this.dir, { state: { epoch: loop.epoch }, arrays: this.weights.get() });
  }

  override async onTrainEnd(): Promise<void> {
    const best = await loadCheckpoint<{ epoch: number }>(this.dir);
    if (best) this.weights.set(best.arrays);
  }
}

/** Stops the phase when val_loss has not improved for `patience` epochs. */
export class EarlyStopping extends Callback<{ best: number; wait: number; bestEpoch: number }> {
  state = { best: Number.POSITIVE_INFINITY, wait: 0, bestEpoch: 0 };

  constructor(private readonly config: { patience: number }) {
    super();
  }

  override async onEpochEnd(record: EpochRecord, loop: LoopControl): Promise<void> {
    if (improves(record.val_loss, this.state.best)) {
      this.state = { best: record.val_loss, wait: 0, bestEpoch: loop.epoch };
      return;
    }
    this.state.wait++;
    if (this.state.wait >= this.config.patience)
      loop.stop(
        `early stopping (val_loss has not improved for ${this.state.wait} epochs; best epoch ${this.state.bestEpoch})`,
      );
  }
}

/** Multiplies the learning rate by `factor` when val_loss has not improved for `patience` epochs (not below `minLr`). */
export class ReduceLrOnPlateau extends Callback<{ best: number; wait: number }> {
  state = { best: Number.POSITIVE_INFINITY, wait: 0 };

  constructor(private readonly config: { factor: number; patience: number; minLr: number }) {
    super();
  }

  override async onEpochEnd(record: EpochRecord, loop: LoopControl): Promise<void> {
    if (improves(record.val_loss, this.state.best)) {
      this.state = { best: record.val_loss, wait: 0 };
      return;
    }
    this.state.wait++;
    // A phase that is stopping keeps its rate: early stopping wins over a plateau in the same epoch.
    if (loop.stopped || this.state.wait < this.config.patience || loop.lr <= this.config.minLr) return;
    this.state.wait = 0;
    const lr = Math.max(this.config.minLr, loop.lr * this.config.factor);
    loop.setLr(lr, `val_loss plateaued; learning rate → ${lr.toExponential(1)}`);
  }
}

function fmt(v: number, digits = 4): string {
  return Number.isFinite(v) ? v.toFixed(digits) : 'n/a';
}

/** One line per epoch with an ETA, and the epoch's figures to the experiment tracker. */
export class EpochLogger extends Callback<Record<string, never>> {
  state = {};

  constructor(
    private readonly log: Logger,
    private readonly tracker: Tracker | undefined,
    private readonly isBest: (epoch: number) => boolean,
  ) {
    super();
  }

  override async onEpochEnd(r: EpochRecord, loop: LoopControl): Promise<void> {
    const spent = loop.history.reduce((s, h) => s + h.seconds, 0);
    const eta = (spent / loop.history.length) * (loop.epochs - loop.epoch);
    this.log.info(
      `${r.phase} epoch ${loop.epoch}/${loop.epochs}  loss ${fmt(r.loss)}  acc ${fmt(r.acc)}  val_loss ${fmt(r.val_loss)}  val_acc ${fmt(r.val_acc)}  lr ${r.lr.toExponential(1)}  ${Math.round(r.imagesPerSecond)} img/s  ${r.seconds.toFixed(1)} s  ETA ${formatDuration(eta)}${this.isBest(loop.epoch) ? '  *best' : ''}`,
    );
    await this.tracker?.logMetrics(
      {
        loss: r.loss,
        acc: r.acc,
        val_loss: r.val_loss,
        val_acc: r.val_acc,
        lr: r.lr,
        images_per_second: r.imagesPerSecond,
      },
      r.epoch,
    );
  }
}

/** Where a phase keeps its checkpoints: `<checkpointDir>/<phase>/{last,best}/`. */
export function checkpointDirs(checkpointDir: string, phase: string): { last: string; best: string } {
  return { last: join(checkpointDir, phase, 'last'), best: join(checkpointDir, phase, 'best') };
}
