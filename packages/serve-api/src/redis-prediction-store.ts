import { Redis } from 'ioredis';
import type { RememberedPrediction } from './prediction-memory.js';
import { type PredictionStore, StoreUnavailableError } from './prediction-store.js';

/** What one prediction is stored as, besides the photo bytes. */
type StoredMeta = Omit<RememberedPrediction, 'bytes' | 'labelIds'> & { labelIds: string[] };

export interface RedisStoreOptions {
  url: string;
  /** How long a prediction waits for its feedback (the key's expiry). */
  ttlMs: number;
  /** Photos larger than this are not kept (their feedback can carry no photo). */
  maxPhotoBytes: number;
  /** Longest wait for one command before the store counts as down. */
  timeoutMs?: number;
}

/**
 * Recent predictions in Redis, shared by every replica: one hash per prediction (`meta` JSON and
 * the photo `bytes`) that expires after ttlMs. Memory bounds beyond the expiry are Redis's own
 * (`maxmemory` with an eviction policy). Commands fail fast while Redis is unreachable instead of
 * queueing, so a prediction never waits on it and feedback answers 503 at once.
 */
export class RedisPredictionStore implements PredictionStore {
  readonly kind = 'redis';
  private readonly redis: Redis;
  private lastError: string | undefined;

  constructor(private readonly options: RedisStoreOptions) {
    this.redis = new Redis(options.url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: options.timeoutMs ?? 2000,
      commandTimeout: options.timeoutMs ?? 2000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    this.redis.on('error', (error: Error) => {
      this.lastError = error.message;
    });
    this.redis.on('ready', () => {
      this.lastError = undefined;
    });
  }

  private key(id: string): string {
    return `plantid:prediction:${id}`;
  }

  async remember(value: RememberedPrediction): Promise<void> {
    if (value.bytes.byteLength > this.options.maxPhotoBytes) return;
    const { bytes, labelIds, ...rest } = value;
    const meta: StoredMeta = { ...rest, labelIds: [...labelIds] };
    await this.run(() =>
      this.redis
        .multi()
        .hset(
          this.key(value.id),
          'meta',
          JSON.stringify(meta),
          'bytes',
          Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        )
        .pexpire(this.key(value.id), this.options.ttlMs)
        .exec(),
    );
  }

  async recall(id: string): Promise<RememberedPrediction | undefined> {
    const [meta, bytes] = await this.run(() => this.redis.hmgetBuffer(this.key(id), 'meta', 'bytes'));
    if (!meta || !bytes) return undefined;
    const parsed = JSON.parse(meta.toString('utf8')) as StoredMeta;
    return { ...parsed, labelIds: new Set(parsed.labelIds), bytes: new Uint8Array(bytes) };
  }

  async problem(): Promise<string | undefined> {
    try {
      await this.run(() => this.redis.ping());
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    if (this.redis.status !== 'ready')
      throw new StoreUnavailableError(
        `the prediction store ${redact(this.options.url)} is unreachable (${this.lastError ?? this.redis.status})`,
      );
    try {
      return await command();
    } catch (error) {
      throw new StoreUnavailableError(
        `the prediction store ${redact(this.options.url)} failed: ${(error as Error).message}`,
      );
    }
  }
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis';
  }
}
