import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { PlantidConfig } from '@plantid/core';
import { UsageError } from '@plantid/core';
import { listFolderSource } from './folder.js';
import { listManifestSource } from './listFile.js';
import type { Candidate, Notice, SourceSpec } from './types.js';

type DataConfig = PlantidConfig['data'];

/** `data.root` (shorthand) and `data.sources[]`, paths resolved against the config folder. */
export function sourceSpecs(data: DataConfig, configDir: string): SourceSpec[] {
  const specs: SourceSpec[] = [];
  if (data.root) {
    const root = resolve(configDir, data.root);
    specs.push({ name: basename(root), root, manifest: null, license: data.license ?? null });
  }
  for (const s of data.sources ?? []) {
    const root = resolve(configDir, s.root);
    specs.push({
      name: s.name ?? basename(root),
      root,
      manifest: s.manifest ? resolve(configDir, s.manifest) : null,
      license: s.license ?? data.license ?? null,
    });
  }
  return specs;
}

/** Cheap up-front checks: every root is a folder and every manifest a file. */
export async function validateSources(data: DataConfig, configDir: string): Promise<void> {
  for (const [i, spec] of sourceSpecs(data, configDir).entries()) {
    const key = data.root && i === 0 ? 'data.root' : `data.sources[${data.root ? i - 1 : i}]`;
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

/** Every candidate image of every source, in a stable order. */
export async function listCandidates(specs: SourceSpec[], notices: Notice[]): Promise<Candidate[]> {
  const all: Candidate[] = [];
  for (const spec of specs) {
    const found = spec.manifest
      ? await listManifestSource(spec, notices)
      : await listFolderSource(spec, notices);
    if (found.length === 0)
      notices.push({ where: spec.manifest ?? spec.root, message: 'no images found in this source' });
    all.push(...found);
  }
  const seen = new Set<string>();
  return all.filter((c) => {
    if (seen.has(c.file)) {
      notices.push({ where: c.file, message: 'listed twice (same file in two sources or rows); kept once' });
      return false;
    }
    seen.add(c.file);
    return true;
  });
}
