import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { type PlantidConfig, type SourceSpec, sourceSpecs, UsageError } from '@plantid/core';
import { listFeedbackSource, resolveFeedbackLabels } from './feedback.js';
import { listFolderSource } from './folder.js';
import { listManifestSource } from './listFile.js';
import type { Candidate, Notice } from './types.js';

type DataConfig = PlantidConfig['data'];

/** Cheap up-front checks: every root is a folder and every manifest a file. */
export async function validateSources(data: DataConfig, configDir: string): Promise<void> {
  for (const [i, spec] of sourceSpecs(data, configDir).entries()) {
    const key = data.root && i === 0 ? 'data.root' : `data.sources[${data.root ? i - 1 : i}]`;
    if (spec.feedback) {
      if (spec.manifest)
        throw new UsageError('a feedback store has its own list (feedback.jsonl)', {
          where: `${key}.manifest`,
          hint: 'remove manifest from this source, or remove feedback: true',
        });
      continue; // a store that has no feedback yet is a notice at ingest, not an error
    }
    const info = await stat(spec.root).catch(() => null);
    if (!info?.isDirectory())
      throw new UsageError(`data folder ${spec.root} does not exist`, {
        where: key,
        hint: 'fix the path (relative to config.yaml)',
      });
    if (spec.manifest) {
      const m = await stat(spec.manifest).catch(() => null);
      if (!m?.isFile())
        throw new UsageError(`manifest ${spec.manifest} does not exist`, { where: `${key}.manifest` });
    }
  }
}

/**
 * What the dataset stage's cache key sees of the data: every listed file's path, label, fixed
 * split, size and modification time. Adding, replacing or relabelling a photo (or new feedback)
 * reruns the stage; a second run over unchanged data reuses it. Lists and stats, reads no image.
 */
export async function dataFingerprint(data: DataConfig, configDir: string): Promise<string> {
  const candidates = await listCandidates(sourceSpecs(data, configDir), []);
  const hash = createHash('sha256');
  for (const c of candidates) {
    const info = await stat(c.file).catch(() => null);
    hash.update(`${c.file}\0${c.label}\0${c.fixedSplit}\0${info?.size}\0${info?.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

/** Every candidate image of every source, in a stable order. */
export async function listCandidates(specs: SourceSpec[], notices: Notice[]): Promise<Candidate[]> {
  const all: Candidate[] = [];
  for (const spec of specs) {
    const noticesBefore = notices.length;
    const found = spec.feedback
      ? await listFeedbackSource(spec, notices)
      : spec.manifest
        ? await listManifestSource(spec, notices)
        : await listFolderSource(spec, notices);
    // A feedback store that already said why it is empty ("no feedback yet") needs no second note.
    if (found.length === 0 && !(spec.feedback && notices.length > noticesBefore))
      notices.push({ where: spec.manifest ?? spec.root, message: 'no images found in this source' });
    all.push(...found);
  }
  const seen = new Set<string>();
  return resolveFeedbackLabels(all, notices).filter((c) => {
    if (seen.has(c.file)) {
      notices.push({ where: c.file, message: 'listed twice (same file in two sources or rows); kept once' });
      return false;
    }
    seen.add(c.file);
    return true;
  });
}
