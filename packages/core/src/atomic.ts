import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Writes a file through a temp sibling and a rename, so readers never see half a file. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = tempSibling(path);
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Builds a directory in a temp sibling and renames it into place when `build` resolves.
 * A crash or throw leaves no half-written `finalDir`; the temp dir is removed on throw.
 * An existing `finalDir` (a previous output of ours, never a user folder) is replaced.
 */
export async function writeDirAtomic<T>(
  finalDir: string,
  build: (tempDir: string) => Promise<T>,
): Promise<T> {
  await mkdir(dirname(finalDir), { recursive: true });
  const temp = tempSibling(finalDir);
  await mkdir(temp, { recursive: true });
  let result: T;
  try {
    result = await build(temp);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  const old = `${temp}.old`;
  const hadOld = await rename(finalDir, old).then(
    () => true,
    () => false,
  );
  await rename(temp, finalDir);
  if (hadOld) await rm(old, { recursive: true, force: true });
  return result;
}

/** Appends one line to a JSONL file (append is atomic per write for lines under PIPE_BUF on local disks). */
export async function appendJsonLine(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(value)}\n`, { flag: 'a' });
}
