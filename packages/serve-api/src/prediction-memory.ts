import type { PredictionStore } from './prediction-store.js';
import type { SniffedFormat } from './sniff.js';

export interface RememberedPrediction {
  id: string;
  time: string;
  model: { name: string; version: string };
  /** Label ids the model could answer with (feedback must name one of them). */
  labelIds: ReadonlySet<string>;
  top1: { label: string; confidence: number };
  inputSha256: string;
  format: SniffedFormat;
  /** The uploaded bytes, held in memory only, so feedback given with consent can keep the photo. */
  bytes: Uint8Array;
}

export interface PredictionMemoryOptions {
  entries: number;
  maxBytes: number;
  ttlMs: number;
  now?: () => number;
}

/**
 * Recent predictions, so POST /v1/feedback can refer to one by id without the client
 * uploading the photo again. Bounded by count, bytes and age; oldest go first. Nothing
 * here touches disk: a photo reaches the feedback store only with consent.
 */
export class PredictionMemory implements PredictionStore {
  readonly kind = 'memory';
  private readonly items = new Map<string, { value: RememberedPrediction; at: number }>();
  private bytes = 0;
  private readonly now: () => number;

  constructor(private readonly options: PredictionMemoryOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.items.size;
  }

  async remember(value: RememberedPrediction): Promise<void> {
    this.put(value);
  }

  async recall(id: string): Promise<RememberedPrediction | undefined> {
    return this.get(id);
  }

  async problem(): Promise<undefined> {
    return undefined;
  }

  async close(): Promise<void> {
    this.items.clear();
    this.bytes = 0;
  }

  put(value: RememberedPrediction): void {
    if (value.bytes.byteLength > this.options.maxBytes) return;
    this.forget(value.id);
    this.items.set(value.id, { value, at: this.now() });
    this.bytes += value.bytes.byteLength;
    this.evict();
  }

  get(id: string): RememberedPrediction | undefined {
    const item = this.items.get(id);
    if (!item) return undefined;
    if (this.now() - item.at > this.options.ttlMs) {
      this.forget(id);
      return undefined;
    }
    return item.value;
  }

  forget(id: string): void {
    const item = this.items.get(id);
    if (!item) return;
    this.items.delete(id);
    this.bytes -= item.value.bytes.byteLength;
  }

  private evict(): void {
    const cutoff = this.now() - this.options.ttlMs;
    // Map iteration is insertion order: oldest first.
    for (const [id, item] of this.items) {
      const over = this.items.size > this.options.entries || this.bytes > this.options.maxBytes;
      if (!over && item.at >= cutoff) break;
      this.forget(id);
    }
  }
}
