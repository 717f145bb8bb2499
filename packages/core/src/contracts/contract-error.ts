import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { writeJsonAtomic } from '../atomic.js';
import { UsageError } from '../errors.js';

/**
 * A file between stages (or in a bundle) that does not hold what its contract says: exit 2,
 * one line naming the file, the field and what was expected, e.g.
 * `runs/…/train/train.json: hashes.backbone: expected a sha256 hex digest, got "12"`.
 */
export class ContractError extends UsageError {
  readonly file: string;
  /** Dotted path of the offending field (`[3].index`, `line 12: split`), or `(file)` for the whole file. */
  readonly field: string;

  constructor(
    file: string,
    field: string,
    expected: string,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super(`${field}: ${expected}`, { where: file, hint: options.hint, cause: options.cause });
    this.file = file;
    this.field = field;
  }
}

/** `a.b[2].c` for a zod issue path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out || '(root)';
}

/** What a zod issue says was expected, without zod's "Invalid input: " preamble. */
export function expectation(issue: z.core.$ZodIssue, value?: unknown): string {
  const message = issue.message.replace(/^(Invalid [a-z ]+|Too small|Too big): /i, '');
  const expected = /^expected\b/i.test(message) || issue.code === 'custom' ? message : `expected ${message}`;
  const got = valueAt(value, issue.path);
  const shown = JSON.stringify(got);
  const scalar = got !== undefined && (got === null || typeof got !== 'object');
  return scalar && shown.length <= 60 && !/received/.test(expected) ? `${expected}, got ${shown}` : expected;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path) {
    if (!v || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** Parses `value` with `schema`; the first issue becomes a ContractError naming `file` and the field. */
export function parseContract<S extends z.ZodType>(
  schema: S,
  value: unknown,
  file: string,
  options: { hint?: string; fieldPrefix?: string } = {},
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = fieldPath(issue.path);
  throw new ContractError(
    file,
    options.fieldPrefix ? `${options.fieldPrefix}${field}` : field,
    expectation(issue, value),
    {
      hint: options.hint,
    },
  );
}

/** Reads and parses a JSON file; missing or not JSON is a ContractError on `(file)`. */
export async function readJsonFile(path: string, hint?: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ContractError(path, '(file)', 'expected the file to exist', { hint, cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ContractError(path, '(file)', 'expected valid JSON', { hint, cause });
  }
}

/** A JSON contract file: read and validated, or written after validating (a writer bug fails loudly, not the reader). */
export async function readJsonContract<S extends z.ZodType>(
  schema: S,
  path: string,
  hint?: string,
): Promise<z.output<S>> {
  return parseContract(schema, await readJsonFile(path, hint), path, { hint });
}

export async function writeJsonContract<S extends z.ZodType>(
  schema: S,
  path: string,
  value: z.input<S>,
): Promise<void> {
  await writeJsonAtomic(path, schema.parse(value));
}
