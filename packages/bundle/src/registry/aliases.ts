import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError, writeJsonAtomic } from '@plantid/core';
import lockfile from 'proper-lockfile';
import { z } from 'zod';

export const ALIASES_FILE = 'aliases.json';

/** Alias names look unlike versions (which are integers) so `name@x` is never ambiguous. */
export const aliasNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*$/i, 'an alias starts with a letter and uses letters, digits, dash, underscore');

const aliasEventSchema = z.strictObject({
  at: z.iso.datetime(),
  alias: z.string(),
  /** publish/promote: the alias now points at `version`; rollback: it went back from `from` to `version`. */
  action: z.enum(['publish', 'promote', 'rollback']),
  version: z.number().int().positive(),
  from: z.number().int().positive().nullable(),
});

const aliasesFileSchema = z.strictObject({
  schemaVersion: z.literal(1),
  /** Current targets; always equal to what replaying `history` gives. */
  aliases: z.record(z.string(), z.number().int().positive()),
  /** Every alias move, oldest first; never rewritten. */
  history: z.array(aliasEventSchema),
});

export type AliasEvent = z.infer<typeof aliasEventSchema>;
export type AliasesFile = z.infer<typeof aliasesFileSchema>;

const emptyAliases = (): AliasesFile => ({ schemaVersion: 1, aliases: {}, history: [] });

export async function readAliases(nameDir: string): Promise<AliasesFile> {
  const path = join(nameDir, ALIASES_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return emptyAliases();
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UsageError('aliases file is not valid JSON', {
      where: path,
      hint: 'restore it from its history or delete it',
    });
  }
  const parsed = aliasesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`aliases file field ${issue?.path.join('.') || '(root)'}: ${issue?.message}`, {
      where: path,
    });
  }
  return parsed.data;
}

/**
 * The versions an alias pointed at, oldest first, as a stack: publish/promote push, rollback pops.
 * The last entry is the current target; the one before is where a rollback goes.
 */
export function aliasStack(file: AliasesFile, alias: string): number[] {
  const stack: number[] = [];
  for (const event of file.history) {
    if (event.alias !== alias) continue;
    if (event.action === 'rollback') stack.pop();
    else stack.push(event.version);
  }
  return stack;
}

/**
 * Reads aliases.json, lets `change` edit it, and writes it back atomically, holding a lock on
 * the model folder so a publish and a promote running at once cannot lose each other's move.
 */
export async function updateAliases<T>(nameDir: string, change: (file: AliasesFile) => T): Promise<T> {
  await mkdir(nameDir, { recursive: true });
  const release = await lockfile.lock(nameDir, {
    lockfilePath: join(nameDir, '.aliases.lock'),
    retries: { retries: 20, minTimeout: 50, maxTimeout: 500 },
    stale: 30_000,
  });
  try {
    const file = await readAliases(nameDir);
    const result = change(file);
    const aliases: Record<string, number> = {};
    for (const alias of new Set(file.history.map((e) => e.alias))) {
      const top = aliasStack(file, alias).at(-1);
      if (top !== undefined) aliases[alias] = top;
    }
    file.aliases = aliases;
    await writeJsonAtomic(join(nameDir, ALIASES_FILE), file);
    return result;
  } finally {
    await release();
  }
}
