import type { z } from 'zod';
import { keysAt } from './schema-walk.js';
import { didYouMean } from './suggest.js';

type Issue = z.core.$ZodIssue;

export interface IssueContext {
  schema: z.core.$ZodType;
  /** The data that was validated (after interpolation and overrides), to quote bad values. */
  input: unknown;
  /** Where a key path came from: `line 12` for the file, `--set a.b=c` for an override. */
  origin(path: readonly PropertyKey[]): string | undefined;
}

export interface FormattedIssue {
  path: string;
  message: string;
  origin: string | undefined;
}

/** Zod's default wording replaced by "expected ..."; schema-level messages (e.g. "expected a positive number") win over this. */
export const configErrorMap = (issue: z.core.$ZodRawIssue): string | undefined => {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${article(issue.expected)}`;
    case 'too_small':
      return issue.origin === 'array'
        ? `expected at least ${issue.minimum} item(s)`
        : issue.origin === 'string'
          ? 'expected a non-empty string'
          : `expected a number ${issue.inclusive ? '≥' : '>'} ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `expected at most ${issue.maximum} item(s)`
        : `expected a number ${issue.inclusive ? '≤' : '<'} ${issue.maximum}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'regex'
        ? `expected text matching ${String((issue as { pattern?: unknown }).pattern)}`
        : `expected ${issue.format}`;
    case 'not_multiple_of':
      return `expected a multiple of ${issue.divisor}`;
    default:
      return undefined;
  }
};

function article(expected: string): string {
  const names: Record<string, string> = {
    number: 'a number',
    int: 'a whole number',
    string: 'a string',
    boolean: 'true or false',
    object: 'a section (key: value pairs)',
    array: 'a list',
    tuple: 'a list',
    nonoptional: 'a value',
  };
  return names[expected] ?? expected;
}

export function valueAt(input: unknown, path: readonly PropertyKey[]): { found: boolean; value?: unknown } {
  let node = input;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !(key in (node as object))) return { found: false };
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value: node };
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.') || '(top level)';
}

function quote(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** One readable line per zod issue: key path, what was expected, what was given, and a suggestion for unknown keys. */
export function formatIssue(
  issue: Issue,
  ctx: IssueContext,
  prefix: readonly PropertyKey[] = [],
): FormattedIssue {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const keyPath = [...path, key];
    const known = keysAt(ctx.schema, path);
    const guess = didYouMean(key, known);
    const more = issue.keys.length > 1 ? ` (and ${issue.keys.slice(1).join(', ')})` : '';
    const suggestion = guess ? `did you mean "${guess}"?` : `known keys: ${known.join(', ')}`;
    return {
      path: formatPath(keyPath),
      message: `unknown key${more}; ${suggestion}`,
      origin: ctx.origin(keyPath),
    };
  }
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // Report the branch that came closest: fewest issues, ignoring its unknown-key complaints first.
    const ranked = [...issue.errors].sort((a, b) => score(a) - score(b));
    const best = ranked[0]!;
    if (best.length > 0) return formatIssue(best[0]!, ctx, path);
  }
  const { found, value } = valueAt(ctx.input, path);
  let message = issue.message;
  if (!found || value === undefined)
    message = issue.code === 'invalid_type' ? `missing; ${message}` : message;
  else if (issue.code !== 'custom' || !issue.message.includes(quote(value))) {
    if (typeof value !== 'object' || value === null) message = `${message}, got ${quote(value)}`;
  }
  return { path: formatPath(path), message, origin: ctx.origin(path) };
}

function score(issues: Issue[]): number {
  return issues.reduce((sum, i) => sum + (i.code === 'unrecognized_keys' ? 10 : 1), 0);
}
