import type { PlantidError } from '@plantid/core';
import { describe, expect, it } from 'vitest';
import { MicroBatcher, type ModelInput } from '../src/batcher.js';
import { PredictionMemory, type RememberedPrediction } from '../src/prediction-memory.js';
import { calibrate, topK } from '../src/predictions.js';
import { resolveServeSettings } from '../src/settings.js';
import { sniffImageFormat } from '../src/sniff.js';

const bytes = (...b: number[]) => new Uint8Array(b);
const ascii = (s: string) => new TextEncoder().encode(s);

describe('sniffImageFormat', () => {
  it('names formats by magic bytes, not by name', () => {
    expect(sniffImageFormat(bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0))).toBe('jpeg');
    expect(sniffImageFormat(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0))).toBe('png');
    expect(sniffImageFormat(ascii('RIFF\x10\x00\x00\x00WEBPVP8 '))).toBe('webp');
    expect(sniffImageFormat(ascii('GIF89a\x01\x00'))).toBe('gif');
    expect(sniffImageFormat(bytes(0x49, 0x49, 0x2a, 0x00, 8, 0))).toBe('tiff');
    expect(sniffImageFormat(ascii('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe(
      'svg',
    );
    expect(sniffImageFormat(ascii('%PDF-1.7'))).toBe('pdf');
    expect(sniffImageFormat(ascii('hello, I am a text file named leaf.jpg'))).toBeNull();
    expect(sniffImageFormat(new Uint8Array(0))).toBeNull();
  });

  it('tells AVIF from HEIC by the ftyp brands', () => {
    const ftyp = (major: string, ...compatible: string[]) => {
      const size = 16 + 4 * compatible.length;
      const box = new Uint8Array(size);
      new DataView(box.buffer).setUint32(0, size);
      box.set(ascii(`ftyp${major}\0\0\0\0${compatible.join('')}`), 4);
      return box;
    };
    expect(sniffImageFormat(ftyp('heic', 'mif1', 'heic'))).toBe('heic');
    expect(sniffImageFormat(ftyp('mif1', 'mif1', 'heic'))).toBe('heic');
    expect(sniffImageFormat(ftyp('avif', 'mif1', 'avif'))).toBe('avif');
    expect(sniffImageFormat(ftyp('mif1', 'mif1', 'avif'))).toBe('avif');
    expect(sniffImageFormat(ftyp('isom', 'mp41'))).toBeNull();
  });
});

describe('calibrate and topK', () => {
  it('temperature > 1 softens and keeps the order; 1 or none is a no-op', () => {
    const p = new Float32Array([0.7, 0.2, 0.1]);
    expect(calibrate(p, null)).toBe(p);
    expect(calibrate(p, 1)).toBe(p);
    const soft = calibrate(p, 2);
    expect(soft[0]!).toBeLessThan(0.7);
    expect(soft[0]!).toBeGreaterThan(soft[1]!);
    expect(soft.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    // softmax(log p / T) == normalised p^(1/T)
    const root = [0.7, 0.2, 0.1].map((x) => Math.sqrt(x));
    const sum = root.reduce((a, b) => a + b, 0);
    expect(Array.from(soft)).toEqual(root.map((r) => expect.closeTo(r / sum, 6)));
  });

  it('returns the k best labels with ids and names', () => {
    const labels = ['a', 'b', 'c'].map((id, index) => ({ index, id, name: id.toUpperCase() }));
    expect(topK(new Float32Array([0.1, 0.6, 0.3]), labels, 2)).toEqual([
      { label: 'b', name: 'B', confidence: 0.6 },
      { label: 'c', name: 'C', confidence: 0.3 },
    ]);
  });
});

describe('MicroBatcher', () => {
  const echo = (calls: number[]) => async (batch: ModelInput, n: number) => {
    calls.push(n);
    await new Promise((r) => setTimeout(r, 5));
    return Float32Array.from(batch, (x) => x * 10);
  };

  it('runs a lone input at once and returns each its own output', async () => {
    const calls: number[] = [];
    const b = new MicroBatcher(echo(calls), { inputSize: 2, outputSize: 2, maxBatch: 8, maxWaitMs: 1000 });
    const r = await b.submit(new Float32Array([1, 2]));
    expect(Array.from(r.output)).toEqual([10, 20]);
    expect(calls).toEqual([1]);
  });

  it('batches inputs that arrive while the engine is busy, up to maxBatch, in order', async () => {
    const calls: number[] = [];
    const b = new MicroBatcher(echo(calls), { inputSize: 1, outputSize: 1, maxBatch: 4, maxWaitMs: 0 });
    const results = await Promise.all(Array.from({ length: 9 }, (_, i) => b.submit(new Float32Array([i]))));
    expect(results.map((r) => r.output[0])).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80]);
    expect(calls).toEqual([1, 4, 4]);
    expect(results[1]!.batchSize).toBe(4);
  });

  it('waits up to maxWaitMs for inputs still being decoded, then runs them together', async () => {
    const calls: number[] = [];
    const b = new MicroBatcher(echo(calls), { inputSize: 1, outputSize: 1, maxBatch: 8, maxWaitMs: 200 });
    const t1 = b.reserve();
    const t2 = b.reserve();
    const p1 = t1.submit(new Float32Array([1]));
    await new Promise((r) => setTimeout(r, 20));
    const p2 = t2.submit(new Float32Array([2]));
    await Promise.all([p1, p2]);
    expect(calls).toEqual([2]);
  });

  it('stops waiting when a reserved input is cancelled, and drain resolves when idle', async () => {
    const calls: number[] = [];
    const b = new MicroBatcher(echo(calls), { inputSize: 1, outputSize: 1, maxBatch: 8, maxWaitMs: 10_000 });
    const t1 = b.reserve();
    const t2 = b.reserve();
    const p1 = t1.submit(new Float32Array([1]));
    t2.cancel();
    await p1;
    expect(calls).toEqual([1]);
    await b.drain();
    expect(b.pending).toBe(0);
  });

  it('rejects every input of a failed batch and keeps serving', async () => {
    let fail = true;
    const b = new MicroBatcher(
      async (batch) => {
        if (fail) throw new Error('boom');
        return Float32Array.from(batch);
      },
      { inputSize: 1, outputSize: 1, maxBatch: 8, maxWaitMs: 0 },
    );
    await expect(b.submit(new Float32Array([1]))).rejects.toThrow('boom');
    fail = false;
    expect((await b.submit(new Float32Array([3]))).output[0]).toBe(3);
  });
});

describe('MicroBatcher with several workers', () => {
  it('runs up to `concurrency` batches at once and never more', async () => {
    let running = 0;
    let most = 0;
    const b = new MicroBatcher(
      async (batch) => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 10));
        running--;
        return Float32Array.from(batch);
      },
      { inputSize: 1, outputSize: 1, maxBatch: 2, maxWaitMs: 0, concurrency: 3 },
    );
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => b.submit(new Float32Array([i]))));
    expect(results.map((r) => r.output[0])).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(most).toBe(3);
  });

  it('keeps an all-uint8 batch uint8 and normalises uint8 into a float batch when the two mix', async () => {
    const batcher = (seen: string[]) =>
      new MicroBatcher(
        async (batch) => {
          seen.push(batch.constructor.name);
          await new Promise((r) => setTimeout(r, 5));
          return Float32Array.from(batch);
        },
        {
          inputSize: 2,
          outputSize: 2,
          maxBatch: 8,
          maxWaitMs: 0,
          normalizeInto: (rgb, out, offset) => {
            for (const [i, x] of rgb.entries()) out[offset + i] = x / 100;
          },
        },
      );
    // The first input runs alone; the two that arrive while it runs form the second batch.
    const uint8: string[] = [];
    const b = batcher(uint8);
    const [, u1, u2] = await Promise.all(
      [new Uint8Array([1, 2]), new Uint8Array([3, 4]), new Uint8Array([5, 6])].map((x) => b.submit(x)),
    );
    expect(Array.from(u1!.output)).toEqual([3, 4]);
    expect(Array.from(u2!.output)).toEqual([5, 6]);
    expect(uint8).toEqual(['Uint8Array', 'Uint8Array']);

    const mixed: string[] = [];
    const m = batcher(mixed);
    const [, m1, m2] = await Promise.all(
      [new Uint8Array([7, 8]), new Uint8Array([50, 100]), new Float32Array([0.25, 0.5])].map((x) =>
        m.submit(x),
      ),
    );
    expect(Array.from(m1!.output)).toEqual([0.5, 1]);
    expect(Array.from(m2!.output)).toEqual([0.25, 0.5]);
    expect(mixed).toEqual(['Uint8Array', 'Float32Array']);
  });
});

describe('PredictionMemory', () => {
  const item = (id: string, size: number): RememberedPrediction => ({
    id,
    time: '',
    model: { name: 'm', version: '1' },
    labelIds: new Set(['a']),
    top1: { label: 'a', confidence: 1 },
    inputSha256: '',
    format: 'jpeg',
    bytes: new Uint8Array(size),
  });

  it('forgets the oldest beyond the entry and byte budgets, and anything past its age', () => {
    let now = 0;
    const memory = new PredictionMemory({ entries: 2, maxBytes: 100, ttlMs: 1000, now: () => now });
    memory.put(item('a', 10));
    memory.put(item('b', 10));
    memory.put(item('c', 10));
    expect(memory.get('a')).toBeUndefined();
    expect(memory.get('b')?.id).toBe('b');
    memory.put(item('d', 95));
    expect(memory.get('c')).toBeUndefined();
    expect(memory.get('d')?.id).toBe('d');
    now = 2000;
    expect(memory.get('d')).toBeUndefined();
  });
});

describe('resolveServeSettings', () => {
  it('reads defaults, then config, then environment, then flags', () => {
    const defaults = resolveServeSettings({ env: {}, cwd: '/srv' });
    expect(defaults).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      topK: 3,
      engine: 'onnx',
      corsOrigins: [],
      adminToken: undefined,
    });
    expect(defaults.registryDir).toBe('/srv/models');
    expect(defaults.feedbackDir).toBe('/srv/feedback');

    const env = {
      PLANTID_PORT: '9000',
      PLANTID_CORS_ORIGINS: 'https://a.example, https://b.example',
      PLANTID_THREADS: '1',
      PLANTID_MAX_UPLOAD_MB: '2',
    };
    const s = resolveServeSettings({ env, cwd: '/srv', flags: { port: 9100, bundle: 'leaf@production' } });
    expect(s.port).toBe(9100);
    expect(s.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(s.threads).toBe(1);
    expect(s.maxUploadBytes).toBe(2 * 1024 * 1024);
    expect(s.bundle).toBe('leaf@production');
  });

  it('names the environment variable when its value is bad', () => {
    const line = (env: NodeJS.ProcessEnv) => {
      try {
        resolveServeSettings({ env });
      } catch (error) {
        return (error as PlantidError).toLine();
      }
      return 'no error';
    };
    expect(line({ PLANTID_PORT: 'eighty' })).toMatch(/^PLANTID_PORT: expected a number, got "eighty"/);
    expect(line({ PLANTID_TOP_K: '0' })).toMatch(/^PLANTID_TOP_K: serve\.topK: .*positive/);
    expect(line({ PLANTID_ENGINE: 'torch' })).toMatch(/^PLANTID_ENGINE: engine\.kind/);
  });
});
