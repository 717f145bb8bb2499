import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const KEY_BYTES = 32;

/**
 * A content-addressed store of fixed-size float32 vectors (embeddings or activations) under one
 * directory. Each process appends to its own pack file (`<key 32 bytes><dim float32>` records), so
 * concurrent runs never clash and a kill loses at most the record being written: a torn tail is
 * ignored on load. Keys are sha256 hex strings describing exactly what was computed.
 */
export class VectorCache {
  private readonly index = new Map<string, Float32Array>();
  private handle: FileHandle | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  hits = 0;
  misses = 0;
  written = 0;

  private constructor(
    readonly dir: string,
    readonly dim: number,
  ) {}

  static async open(dir: string, dim: number): Promise<VectorCache> {
    const cache = new VectorCache(dir, dim);
    await mkdir(dir, { recursive: true });
    const recordBytes = KEY_BYTES + dim * 4;
    const packs = (await readdir(dir)).filter((f) => f.endsWith('.pack')).sort();
    for (const pack of packs) {
      const bytes = await readFile(join(dir, pack));
      const whole = Math.floor(bytes.byteLength / recordBytes);
      // One aligned copy per pack; vectors are views into it.
      const floats = new Float32Array(whole * dim);
      for (let r = 0; r < whole; r++) {
        const start = r * recordBytes;
        const key = bytes.subarray(start, start + KEY_BYTES).toString('hex');
        const vec = floats.subarray(r * dim, (r + 1) * dim);
        new Uint8Array(vec.buffer, vec.byteOffset, dim * 4).set(
          bytes.subarray(start + KEY_BYTES, start + recordBytes),
        );
        cache.index.set(key, vec);
      }
    }
    return cache;
  }

  get size(): number {
    return this.index.size;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  /** The vector under `key`, counting a hit or a miss. */
  get(key: string): Float32Array | undefined {
    const v = this.index.get(key);
    if (v) this.hits++;
    else this.misses++;
    return v;
  }

  /** Stores a vector (copied); written to disk by `flush` or after ~8 MB. */
  async put(key: string, vector: Float32Array): Promise<void> {
    if (vector.length !== this.dim)
      throw new Error(`vector has ${vector.length} values, cache holds ${this.dim}`);
    if (this.index.has(key)) return;
    const copy = Float32Array.from(vector);
    this.index.set(key, copy);
    const record = Buffer.alloc(KEY_BYTES + this.dim * 4);
    record.write(key, 0, KEY_BYTES, 'hex');
    Buffer.from(copy.buffer).copy(record, KEY_BYTES);
    this.pending.push(record);
    this.pendingBytes += record.byteLength;
    this.written++;
    if (this.pendingBytes > 8 * 1024 * 1024) await this.flush();
  }

  /** Appends pending records to this process's pack file and syncs it. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    if (!this.handle) {
      this.handle = await open(
        join(this.dir, `${Date.now().toString(36)}-${process.pid}-${randomBytes(3).toString('hex')}.pack`),
        'a',
      );
    }
    const data = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    await this.handle.write(data);
    await this.handle.sync();
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle?.close();
    this.handle = undefined;
  }
}
