import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** JSON with object keys sorted at every depth, so equal values hash equally. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
      );
    }
    return v;
  });
}

export function hashJson(value: unknown): string {
  return sha256(stableStringify(value));
}

/** Lists every file below `dir` (relative, `/`-separated, sorted). */
export async function listFilesRecursive(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

/** Content hash of a directory: sha256 over (relative path, file sha256) pairs. */
export async function hashDirectory(
  dir: string,
  options: { ignore?: (relPath: string) => boolean } = {},
): Promise<string> {
  const files = (await listFilesRecursive(dir)).filter((f) => !options.ignore?.(f));
  const parts: string[] = [];
  for (const file of files) parts.push(`${file}\0${await sha256File(join(dir, file))}`);
  return sha256(parts.join('\n'));
}
