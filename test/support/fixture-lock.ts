import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Where built test fixtures are cached, shared by every test process: PLANTID_FIXTURES, or
 * `<os tmp>/plantid-fixtures`. `.ci/run` points it at a fresh folder, so CI builds each fixture once per run.
 */
export function fixturesRoot(): string {
  return process.env.PLANTID_FIXTURES || join(tmpdir(), 'plantid-fixtures');
}

interface Owner {
  pid: number;
  /** Process groups the owner started (a build's child commands): killed when a dead owner's lock is taken over. */
  groups: number[];
}

export interface HeldLock {
  /** Records a process group started under the lock, so a crashed owner's children cannot outlive it. */
  noteGroup(pgid: number): Promise<void>;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // the group is gone
  }
}

/** Give a new owner this long to write owner.json after its mkdir before its lock counts as abandoned. */
const OWNERLESS_GRACE_MS = 30_000;

/**
 * Runs `fn` holding a cross-process lock (mkdir is atomic). A lock whose owner process is gone (a
 * killed test worker) is taken over, after killing the process groups the owner noted, so a
 * half-finished build never runs beside a new one. Waits as long as the owner lives: a build may
 * take many minutes on a loaded machine, so no age makes a live owner's lock stale.
 */
export async function withFixtureLock<T>(lockDir: string, fn: (lock: HeldLock) => Promise<T>): Promise<T> {
  await mkdir(dirname(lockDir), { recursive: true });
  const ownerFile = join(lockDir, 'owner.json');
  let ownerless: number | undefined;
  for (;;) {
    try {
      await mkdir(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = await readFile(ownerFile, 'utf8').then(
      (text) => JSON.parse(text) as Owner,
      () => undefined,
    );
    if (owner && !alive(owner.pid)) {
      for (const group of owner.groups) killGroup(group);
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (owner) ownerless = undefined;
    else {
      ownerless ??= Date.now();
      if (Date.now() - ownerless > OWNERLESS_GRACE_MS) {
        await rm(lockDir, { recursive: true, force: true });
        ownerless = undefined;
        continue;
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const owner: Owner = { pid: process.pid, groups: [] };
  const save = () => writeFile(ownerFile, JSON.stringify(owner));
  await save();
  try {
    return await fn({
      noteGroup: async (pgid) => {
        owner.groups.push(pgid);
        await save();
      },
    });
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}
