import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { type Label, UsageError } from '@plantid/core';
import { parse as parseCsv } from 'csv-parse/sync';
import { parse as parseYaml } from 'yaml';

/** One class's names and rank, as the `data.taxonomy` file gives them. */
export interface TaxonomyRow {
  /** Where the row is, for messages: `taxonomy.csv:7`. */
  where: string;
  /** A class: its folder (or manifest) label, or its label id. */
  label: string;
  scientificName?: string;
  genus?: string;
  family?: string;
  /** Common names per language code, most common first. */
  commonNames: Record<string, string[]>;
  sensitive: boolean;
}

const FIELDS = ['label', 'scientificName', 'genus', 'family', 'sensitive', 'commonNames'] as const;
/** en, vi, tl, pt-BR, zh-Hant: a BCP 47 language tag (language code, optional subtags). */
const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const TRUE = new Set(['true', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'no', 'n', '0', '']);

/**
 * Reads a taxonomy file: CSV (a header row, `#` comment lines) or YAML (a list of rows, or a map
 * of label → row). Columns/keys: label, scientificName, genus, family, sensitive, and one per
 * language code holding common names (several separated by `;`; in YAML also a list, or under
 * `commonNames: { en: … }`). Anything else is a UsageError naming the file and row.
 */
export async function readTaxonomy(path: string): Promise<TaxonomyRow[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UsageError(`taxonomy file ${path} does not exist`, {
      where: 'data.taxonomy',
      hint: 'fix the path (relative to config.yaml) or remove data.taxonomy',
    });
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return csvRows(path, text);
  if (ext === '.yaml' || ext === '.yml') return yamlRows(path, text);
  throw new UsageError(`taxonomy file ${path} is neither .csv nor .yaml`, {
    where: 'data.taxonomy',
    hint: 'use a CSV with a header row or a YAML list of rows',
  });
}

function csvRows(path: string, text: string): TaxonomyRow[] {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parseCsv(text, {
      columns: true,
      bom: true,
      comment: '#',
      trim: true,
      skip_empty_lines: true,
      info: true,
    });
  } catch (error) {
    throw new UsageError(`taxonomy CSV cannot be parsed: ${(error as Error).message}`, { where: path });
  }
  return records.map(({ record, info }) => rowOf(record, `${path}:${info.lines}`, true));
}

function yamlRows(path: string, text: string): TaxonomyRow[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new UsageError(`taxonomy YAML cannot be parsed: ${(error as Error).message.split('\n')[0]}`, {
      where: path,
    });
  }
  const entries: [string, unknown][] = Array.isArray(doc)
    ? doc.map((row, i) => [`${path}: row ${i + 1}`, row])
    : doc && typeof doc === 'object'
      ? Object.entries(doc).map(([label, row]) => [`${path}: ${label}`, { label, ...(row as object) }])
      : [];
  if (entries.length === 0)
    throw new UsageError('taxonomy YAML holds no rows', {
      where: path,
      hint: 'write a list of rows (- label: …) or a map of label → row',
    });
  return entries.map(([where, row]) => {
    if (!row || typeof row !== 'object' || Array.isArray(row))
      throw new UsageError('expected a row with label, scientificName, …', { where });
    return rowOf(row as Record<string, unknown>, where, false);
  });
}

function rowOf(raw: Record<string, unknown>, where: string, csv: boolean): TaxonomyRow {
  const text = (key: string): string | undefined => {
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' && typeof v !== 'number')
      throw new UsageError(`${key}: expected text, got ${JSON.stringify(v)}`, { where });
    const s = String(v).trim();
    return s === '' ? undefined : s;
  };
  const commonNames: Record<string, string[]> = {};
  const addNames = (lang: string, value: unknown, key: string) => {
    const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(';') : null;
    if (list === null || list.some((n) => typeof n !== 'string'))
      throw new UsageError(`${key}: expected common names (text, several separated by ;)`, { where });
    const names = (list as string[]).map((n) => n.trim()).filter(Boolean);
    if (names.length) commonNames[lang] = names;
  };
  for (const [key, value] of Object.entries(raw)) {
    if ((FIELDS as readonly string[]).includes(key)) continue;
    if (!LANGUAGE.test(key))
      throw new UsageError(
        `${csv ? 'column' : 'key'} "${key}" is not one of ${FIELDS.filter((f) => !csv || f !== 'commonNames').join(', ')} or a language code (en, vi, tl, …)`,
        { where, hint: 'rename it, or remove it' },
      );
    if (value !== null && value !== undefined) addNames(key, value, key);
  }
  const nested = raw.commonNames;
  if (nested !== undefined && nested !== null) {
    if (typeof nested !== 'object' || Array.isArray(nested))
      throw new UsageError('commonNames: expected a map of language code → names', { where });
    for (const [lang, names] of Object.entries(nested)) {
      if (!LANGUAGE.test(lang))
        throw new UsageError(`commonNames.${lang}: "${lang}" is not a language code (en, vi, tl, …)`, {
          where,
        });
      addNames(lang, names, `commonNames.${lang}`);
    }
  }
  const label = text('label');
  if (!label) throw new UsageError('label: every row names its class (folder name or label id)', { where });
  const sensitive = raw.sensitive;
  let isSensitive = false;
  if (typeof sensitive === 'boolean') isSensitive = sensitive;
  else if (sensitive !== undefined && sensitive !== null) {
    const s = String(sensitive).trim().toLowerCase();
    if (TRUE.has(s)) isSensitive = true;
    else if (!FALSE.has(s))
      throw new UsageError(`sensitive: expected true or false, got ${JSON.stringify(sensitive)}`, { where });
  }
  const row: TaxonomyRow = { where, label, commonNames, sensitive: isSensitive };
  for (const key of ['scientificName', 'genus', 'family'] as const) {
    const v = text(key);
    if (v) row[key] = v;
  }
  return row;
}

/** A class as the taxonomy can name it: its label (folder name) and label id. */
export interface ClassName {
  label: string;
  id: string;
}

/**
 * Matches rows to classes (by label or label id): a row naming no class, two rows for one class,
 * or a class without a row is a UsageError naming the row or the classes. Returns the row of each class by label.
 */
export function matchTaxonomy(
  rows: readonly TaxonomyRow[],
  classes: readonly ClassName[],
  file: string,
): Map<string, TaxonomyRow> {
  const byKey = new Map<string, ClassName>();
  for (const c of classes) {
    byKey.set(c.label, c);
    byKey.set(c.id, c);
  }
  const matched = new Map<string, TaxonomyRow>();
  for (const row of rows) {
    const c = byKey.get(row.label);
    if (!c) {
      const sample = classes
        .slice(0, 3)
        .map((x) => JSON.stringify(x.label))
        .join(', ');
      throw new UsageError(`label "${row.label}" is not a class of the data`, {
        where: row.where,
        hint: `name a class folder or its label id (e.g. ${sample}), or remove the row`,
      });
    }
    const earlier = matched.get(c.label);
    if (earlier)
      throw new UsageError(`a second row for class "${c.label}" (first at ${earlier.where})`, {
        where: row.where,
      });
    matched.set(c.label, row);
  }
  const missing = classes.filter((c) => !matched.has(c.label));
  if (missing.length > 0) {
    throw new UsageError(
      `no row for ${missing.length} class(es): ${missing
        .slice(0, 5)
        .map((c) => JSON.stringify(c.label))
        .join(', ')}${missing.length > 5 ? ', …' : ''}`,
      { where: `data.taxonomy (${file})`, hint: 'add one row per class (folder name or label id)' },
    );
  }
  return matched;
}

/** labels.json entries with their taxonomy row's names, rank and sensitivity. */
export function applyTaxonomy(labels: readonly Label[], rows: ReadonlyMap<string, TaxonomyRow>): Label[] {
  return labels.map((label) => {
    const row = rows.get(label.name);
    if (!row) return label;
    return {
      ...label,
      ...(row.scientificName ? { scientificName: row.scientificName } : {}),
      ...(Object.keys(row.commonNames).length ? { commonNames: row.commonNames } : {}),
      ...(row.genus ? { genus: row.genus } : {}),
      ...(row.family ? { family: row.family } : {}),
      sensitive: row.sensitive,
    };
  });
}
