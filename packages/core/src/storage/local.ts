import { createReadStream } from 'node:fs';
import { link, readFile, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { writeFileAtomic } from '../atomic.js';
import { UsageError } from '../errors.js';
import { listFilesRecursive } from '../hash.js';
import { AlreadyExistsError, type Storage, type StoredObject, type WriteOptions } from './types.js';

/** A folder on disk behind the `Storage` interface. */
export class LocalStorage implements Storage {
  readonly kind = 'local';
  constructor(readonly root: string) {}

  locate(path: string): string {
    return path ? join(this.root, ...path.split('/')) : this.root;
  }

  async list(prefix = ''): Promise<StoredObject[]> {
    const base = this.locate(prefix);
    const info = await stat(base).catch(() => null);
    if (!info?.isDirectory()) return [];
    const files = await listFilesRecursive(base);
    const out: StoredObject[] = [];
    for (const file of files) {
      const path = relative(this.root, join(base, file)).split(sep).join('/');
      const found = await this.stat(path);
      if (found) out.push(found);
    }
    return out;
  }

  async stat(path: string): Promise<StoredObject | null> {
    const info = await stat(this.locate(path)).catch(() => null);
    if (!info?.isFile()) return null;
    return { path, size: info.size, etag: `${info.size}-${info.mtimeMs}`, modifiedMs: info.mtimeMs };
  }

  read(path: string): Promise<Buffer> {
    return readFile(this.locate(path));
  }

  async readStream(path: string): Promise<Readable> {
    await stat(this.locate(path));
    return createReadStream(this.locate(path));
  }

  async write(path: string, data: string | Uint8Array, options: WriteOptions = {}): Promise<void> {
    const target = this.locate(path);
    if (!options.ifAbsent) return writeFileAtomic(target, data);
    // Write a temp file, then hard-link it into place: link fails if the name is taken.
    const temp = `${target}.tmp-${process.pid}-${Date.now().toString(36)}`;
    await writeFileAtomic(temp, data);
    try {
      await link(temp, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new AlreadyExistsError(target);
      throw error;
    } finally {
      await rm(temp, { force: true });
    }
  }

  async upload(localFile: string, path: string, options: WriteOptions = {}): Promise<void> {
    await this.write(path, await readFile(localFile), options);
  }

  async localCopy(path: string): Promise<string> {
    return this.locate(path);
  }

  async delete(path: string): Promise<void> {
    await rm(this.locate(path), { force: true });
  }

  async check(): Promise<void> {
    const info = await stat(this.root).catch(() => null);
    if (!info?.isDirectory())
      throw new UsageError(`folder ${this.root} does not exist`, {
        hint: 'fix the path (relative to config.yaml)',
      });
  }
}
