import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDirAtomic, writeFileAtomic, writeJsonAtomic } from '@plantid/core';

/** A saved training state: JSON fields plus float32 arrays (weights, optimizer moments) stored back to back. */
export interface Checkpoint<S> {
  state: S;
  arrays: { shape: number[]; data: Float32Array }[];
}

/** Writes `dir/state.json` + `dir/arrays.bin` as one folder renamed into place: a kill never leaves half a checkpoint. */
export async function saveCheckpoint<S>(dir: string, checkpoint: Checkpoint<S>): Promise<void> {
  const total = checkpoint.arrays.reduce((n, a) => n + a.data.length, 0);
  const blob = new Float32Array(total);
  let offset = 0;
  const shapes: { shape: number[]; length: number }[] = [];
  for (const a of checkpoint.arrays) {
    blob.set(a.data, offset);
    offset += a.data.length;
    shapes.push({ shape: a.shape, length: a.data.length });
  }
  await writeDirAtomic(dir, async (temp) => {
    await writeFileAtomic(join(temp, 'arrays.bin'), new Uint8Array(blob.buffer));
    await writeJsonAtomic(join(temp, 'state.json'), { state: checkpoint.state, arrays: shapes });
  });
}

export async function loadCheckpoint<S>(dir: string): Promise<Checkpoint<S> | undefined> {
  let meta: { state: S; arrays: { shape: number[]; length: number }[] };
  let bytes: Buffer;
  try {
    meta = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'));
    bytes = await readFile(join(dir, 'arrays.bin'));
  } catch {
    return undefined;
  }
  const floats = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(floats.buffer).set(bytes);
  let offset = 0;
  const arrays = meta.arrays.map(({ shape, length }) => {
    const data = floats.subarray(offset, offset + length);
    offset += length;
    return { shape, data };
  });
  if (offset !== floats.length) return undefined;
  return { state: meta.state, arrays };
}
