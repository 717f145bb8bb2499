import { readFile, stat } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { SourceSpec, Split } from '@plantid/core';
import { UsageError } from '@plantid/core';
import { parse } from 'csv-parse/sync';
import type { Candidate, Notice } from './types.js';

const COLUMN_ALIASES: Record<string, string> = {
  path: 'path',
  file: 'path',
  filename: 'path',
  image: 'path',
  filepath: 'path',
  label: 'label',
  class: 'label',
  species: 'label',
  split: 'split',
  subset: 'split',
  source: 'source',
  license: 'license',
  licence: 'license',
};

const SPLIT_ALIASES: Record<string, Split> = {
  train: 'train',
  training: 'train',
  val: 'val',
  valid: 'val',
  validation: 'val',
  dev: 'val',
  test: 'test',
  testing: 'test',
};

type Row = Record<string, unknown>;

/**
 * Reads a CSV (header row) or JSONL manifest: path and label required; split, source and
 * license optional. Paths are relative to the source root; rows pointing outside it, at
 * missing files or with no label are reported and skipped.
 */
export async function listManifestSource(source: SourceSpec, notices: Notice[]): Promise<Candidate[]> {
  const manifest = source.manifest!;
  const text = await readFile(manifest, 'utf8');
  const rows = parseRows(manifest, text);
  const candidates: Candidate[] = [];
  for (const [i, raw] of rows.entries()) {
    const where = `${manifest}:${extname(manifest).toLowerCase() === '.csv' ? i + 2 : i + 1}`;
    const row = normaliseRow(raw);
    const path = typeof row.path === 'string' ? row.path.trim() : '';
    const label =
      typeof row.label === 'string' || typeof row.label === 'number' ? String(row.label).trim() : '';
    if (!path || !label) {
      notices.push({ where, message: `row needs both "path" and "label"; skipped` });
      continue;
    }
    const found = await fileInsideRoot(source.root, path, where, notices);
    if (!found) continue;
    let fixedSplit: Split | null = null;
    if (row.split !== undefined && row.split !== null && String(row.split).trim() !== '') {
      fixedSplit = SPLIT_ALIASES[String(row.split).trim().toLowerCase()] ?? null;
      if (!fixedSplit)
        notices.push({
          where,
          message: `unknown split "${row.split}" (use train, val or test); split left to the stage`,
        });
    }
    candidates.push({
      source: typeof row.source === 'string' && row.source ? row.source : source.name,
      license: typeof row.license === 'string' && row.license ? row.license : source.license,
      root: source.root,
      ...found,
      label,
      fixedSplit,
    });
  }
  return candidates;
}

/**
 * The file a listed path names, or null (with a notice) when the path leaves the root, as
 * `../../etc/passwd` would, or names no file.
 */
export async function fileInsideRoot(
  root: string,
  path: string,
  where: string,
  notices: Notice[],
): Promise<{ file: string; path: string } | null> {
  const file = resolve(root, path);
  const rel = relative(root, file);
  if (isAbsolute(path) || rel.startsWith('..') || isAbsolute(rel)) {
    notices.push({ where, message: `path "${path}" is outside the data root ${root}; skipped` });
    return null;
  }
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) {
    notices.push({ where, message: `file "${path}" not found under ${root}; skipped` });
    return null;
  }
  return { file, path: rel.split(sep).join('/') };
}

function parseRows(manifest: string, text: string): Row[] {
  const ext = extname(manifest).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') {
    const rows: Row[] = [];
    text.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      try {
        rows.push(JSON.parse(line) as Row);
      } catch {
        throw new UsageError(`line ${i + 1} is not valid JSON`, {
          where: manifest,
          hint: 'one JSON object per line',
        });
      }
    });
    return rows;
  }
  if (ext !== '.csv' && ext !== '.tsv') {
    throw new UsageError('manifest must be .csv, .tsv or .jsonl', { where: manifest });
  }
  try {
    return parse(text, {
      columns: true,
      skip_empty_lines: true,
      trim: true,
      bom: true,
      delimiter: ext === '.tsv' ? '\t' : ',',
    }) as Row[];
  } catch (error) {
    throw new UsageError(`cannot parse CSV: ${(error as Error).message}`, { where: manifest });
  }
}

function normaliseRow(raw: Row): Row {
  const row: Row = {};
  for (const [key, value] of Object.entries(raw)) {
    const canonical = COLUMN_ALIASES[key.trim().toLowerCase()];
    if (canonical && row[canonical] === undefined) row[canonical] = value;
  }
  return row;
}
