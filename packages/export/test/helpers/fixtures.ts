import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PreprocessSpec } from '@plantid/core';

export const labels = [
  { index: 0, id: 'aloe-vera', name: 'Aloe vera' },
  { index: 1, id: 'mentha-cordifolia', name: 'Mentha cordifolia' },
  { index: 2, id: 'psidium-guajava', name: 'Psidium guajava' },
];

export const spec: PreprocessSpec = {
  version: 1,
  size: 4,
  resize: 'center-crop',
  orient: true,
  colorSpace: 'srgb',
  normalize: { scale: 127.5, offset: -1 },
  layout: 'NHWC',
};

export const metrics = { top1: 0.9123, top3: 0.9871, ece: 0.031, calibration: { temperature: 1.37 } };

const madeDirs: string[] = [];

/** A fresh folder under the OS temp dir; removeTempDirs() deletes every one made so far. */
export async function tempDir(prefix = 'plantid-export-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  for (const dir of madeDirs.splice(0)) await rm(dir, { recursive: true, force: true });
}
