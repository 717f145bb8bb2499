import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SourceSpec } from '@plantid/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCandidates } from '../src/ingest/sources.js';
import type { Notice } from '../src/ingest/types.js';

let dir: string;
const spec = (name: string, feedback: boolean): SourceSpec => ({
  name,
  root: join(dir, name),
  manifest: null,
  license: null,
  feedback,
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plantid-sources-'));
  await mkdir(join(dir, 'photos', 'Rosa rugosa'), { recursive: true });
  await mkdir(join(dir, 'feedback'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('listCandidates notes for empty sources', () => {
  it('says a photo folder without images has none, and why an empty feedback store is empty, once', async () => {
    const notices: Notice[] = [];
    expect(await listCandidates([spec('photos', false), spec('feedback', true)], notices)).toEqual([]);
    expect(notices.map((n) => n.message)).toEqual([
      'class folder "Rosa rugosa" has no image files; skipped',
      'no images found in this source',
      expect.stringMatching(/^no feedback yet/),
    ]);
  });
});
