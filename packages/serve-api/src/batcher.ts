/**
 * One image for the model: decoded uint8 RGB (the runner normalises it, off the event loop when it
 * runs in a worker) or a float32 tensor already normalised (OIP v2 clients that preprocess themselves).
 */
export type ModelInput = Uint8Array | Float32Array;

/** Runs `n` inputs concatenated: all uint8 RGB, or all float32 (mixed batches are normalised first). */
export type RunBatch = (batch: ModelInput, n: number) => Promise<Float32Array>;

export interface BatcherOptions {
  /** Values per input (size × size × 3) and per output (classes). */
  inputSize: number;
  outputSize: number;
  maxBatch: number;
  /** Batches run at once (one per inference worker); default 1. */
  concurrency?: number;
  /** Turns uint8 RGB into the model's float input, for a batch that mixes both kinds. */
  normalizeInto?: (rgb: Uint8Array, out: Float32Array, offset: number) => void;
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
  submit(input: ModelInput): Promise<BatchedResult>;
  /** The input will never come (decode failed). */
  cancel(): void;
}

interface Queued {
  input: ModelInput;
  enqueuedAt: number;
  resolve: (r: BatchedResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Dynamic micro-batching in front of one model (like TF Serving's batching, but it never
 * waits when nothing else is coming): up to `concurrency` inferences run at a time (one per
 * worker); inputs that arrive while they run form the next batches (up to maxBatch). When every
 * worker is idle, a queued input waits up to maxWaitMs only if other requests are still
 * decoding, so a lone request at concurrency 1 pays no batching delay; when another worker is
 * busy, an idle one takes what is queued at once.
 */
export class MicroBatcher {
  private readonly queue: Queued[] = [];
  private running = 0;
  private decoding = 0;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly run: RunBatch,
    private readonly options: BatcherOptions,
  ) {}

  /** Inputs queued or running, plus reserved ones being decoded. */
  get pending(): number {
    return this.queue.length + this.decoding + this.running;
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

  submit(input: ModelInput): Promise<BatchedResult> {
    return this.enqueue(input);
  }

  /** Resolves when nothing is queued, running or reserved. */
  drain(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private enqueue(input: ModelInput): Promise<BatchedResult> {
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
    const { maxBatch, maxWaitMs, concurrency = 1 } = this.options;
    while (this.running < concurrency && this.queue.length > 0) {
      const waited = performance.now() - this.queue[0]!.enqueuedAt;
      const full = this.queue.length >= maxBatch;
      if (!(full || this.decoding === 0 || waited >= maxWaitMs || this.running > 0)) break;
      this.flush();
    }
    if (this.queue.length === 0) {
      this.notifyIfIdle();
      return;
    }
    if (this.running >= concurrency) return;
    const waited = performance.now() - this.queue[0]!.enqueuedAt;
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
    const { outputSize } = this.options;
    const n = items.length;
    const batch = this.concatenate(items.map((item) => item.input));
    this.running++;
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
        this.running--;
        this.schedule();
      });
  }

  /** One buffer for the batch: uint8 stays uint8 (4× less to copy and move); a mix becomes float32. */
  private concatenate(inputs: ModelInput[]): ModelInput {
    if (inputs.length === 1) return inputs[0]!;
    const { inputSize } = this.options;
    if (inputs.every((x) => x instanceof Uint8Array)) {
      const batch = new Uint8Array(inputs.length * inputSize);
      for (const [i, x] of inputs.entries()) batch.set(x, i * inputSize);
      return batch;
    }
    const batch = new Float32Array(inputs.length * inputSize);
    for (const [i, x] of inputs.entries()) {
      if (x instanceof Float32Array) batch.set(x, i * inputSize);
      else if (this.options.normalizeInto) this.options.normalizeInto(x, batch, i * inputSize);
      else throw new Error('batcher: uint8 and float32 inputs in one batch need options.normalizeInto');
    }
    return batch;
  }

  private notifyIfIdle(): void {
    if (this.pending !== 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
