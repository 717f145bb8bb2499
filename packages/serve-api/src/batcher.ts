export type RunBatch = (batch: Float32Array, n: number) => Promise<Float32Array>;

export interface BatcherOptions {
  /** Values per input (size × size × 3) and per output (classes). */
  inputSize: number;
  outputSize: number;
  maxBatch: number;
  /** Longest the oldest queued input waits for others that are still being decoded. */
  maxWaitMs: number;
  /** Called after every inference call (metrics). */
  onBatch?: (n: number, inferMs: number) => void;
}

export interface BatchedResult {
  output: Float32Array;
  /** Time from submit until its batch started. */
  queueMs: number;
  /** Wall time of the inference call this input was part of. */
  inferMs: number;
  batchSize: number;
}

/** A promise that an input is on its way (being decoded): the batcher may wait for it. */
export interface Ticket {
  submit(input: Float32Array): Promise<BatchedResult>;
  /** The input will never come (decode failed). */
  cancel(): void;
}

interface Queued {
  input: Float32Array;
  enqueuedAt: number;
  resolve: (r: BatchedResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Dynamic micro-batching in front of one model (like TF Serving's batching, but it never
 * waits when nothing else is coming): one inference runs at a time; inputs that arrive
 * while it runs form the next batch (up to maxBatch). When the engine is idle, a queued
 * input waits up to maxWaitMs only if other requests are still decoding, so a lone request
 * at concurrency 1 pays no batching delay.
 */
export class MicroBatcher {
  private readonly queue: Queued[] = [];
  private running = false;
  private decoding = 0;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly run: RunBatch,
    private readonly options: BatcherOptions,
  ) {}

  /** Inputs queued or running, plus reserved ones being decoded. */
  get pending(): number {
    return this.queue.length + this.decoding + (this.running ? 1 : 0);
  }

  reserve(): Ticket {
    this.decoding++;
    let settled = false;
    const settle = () => {
      if (settled) throw new Error('ticket already used');
      settled = true;
      this.decoding--;
    };
    return {
      submit: (input) => {
        settle();
        return this.enqueue(input);
      },
      cancel: () => {
        if (settled) return;
        settle();
        this.schedule();
      },
    };
  }

  submit(input: Float32Array): Promise<BatchedResult> {
    return this.enqueue(input);
  }

  /** Resolves when nothing is queued, running or reserved. */
  drain(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private enqueue(input: Float32Array): Promise<BatchedResult> {
    if (input.length !== this.options.inputSize) {
      return Promise.reject(
        new Error(`batcher: input has ${input.length} values, expected ${this.options.inputSize}`),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ input, enqueuedAt: performance.now(), resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running) return;
    if (this.queue.length === 0) {
      this.notifyIfIdle();
      return;
    }
    const { maxBatch, maxWaitMs } = this.options;
    const waited = performance.now() - this.queue[0]!.enqueuedAt;
    if (this.queue.length >= maxBatch || this.decoding === 0 || waited >= maxWaitMs) {
      this.flush();
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, maxWaitMs - waited);
    }
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const items = this.queue.splice(0, this.options.maxBatch);
    const { inputSize, outputSize } = this.options;
    const n = items.length;
    const batch = n === 1 ? items[0]!.input : new Float32Array(n * inputSize);
    if (n > 1) for (const [i, item] of items.entries()) batch.set(item.input, i * inputSize);
    this.running = true;
    const started = performance.now();
    this.run(batch, n)
      .then((output) => {
        const inferMs = performance.now() - started;
        if (output.length !== n * outputSize) {
          throw new Error(
            `model returned ${output.length} values for ${n} inputs, expected ${n * outputSize}`,
          );
        }
        this.options.onBatch?.(n, inferMs);
        for (const [i, item] of items.entries()) {
          item.resolve({
            output: output.slice(i * outputSize, (i + 1) * outputSize),
            queueMs: started - item.enqueuedAt,
            inferMs,
            batchSize: n,
          });
        }
      })
      .catch((error: unknown) => {
        for (const item of items) item.reject(error);
      })
      .finally(() => {
        this.running = false;
        this.schedule();
      });
  }

  private notifyIfIdle(): void {
    if (this.pending !== 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
