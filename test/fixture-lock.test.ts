import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withFixtureLock } from './support/fixture-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plantid-lock-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** The PID of a process that has exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout);
}

const groupAlive = (pgid: number) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('withFixtureLock', () => {
  it('runs one holder at a time and removes the lock after', async () => {
    const lock = join(dir, 'x.lock');
    const order: string[] = [];
    const hold = (name: string) =>
      withFixtureLock(lock, async () => {
        order.push(`${name} in`);
        await new Promise((r) => setTimeout(r, 50));
        order.push(`${name} out`);
        return name;
      });
    expect(await Promise.all([hold('a'), hold('b')])).toEqual(['a', 'b']);
    expect(order).toEqual(['a in', 'a out', 'b in', 'b out']);
    expect(existsSync(lock)).toBe(false);
  });

  it('takes over the lock of an owner that died, after killing the process group it noted', async () => {
    const lock = join(dir, 'x.lock');
    const orphan = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const exited = new Promise((r) => orphan.on('exit', r));
    await mkdir(lock);
    await writeFile(join(lock, 'owner.json'), JSON.stringify({ pid: deadPid(), groups: [orphan.pid] }));
    expect(await withFixtureLock(lock, async () => 'mine')).toBe('mine');
    await exited;
    expect(groupAlive(orphan.pid!)).toBe(false);
  });

  it('waits for a live owner', async () => {
    const lock = join(dir, 'x.lock');
    await mkdir(lock);
    await writeFile(join(lock, 'owner.json'), JSON.stringify({ pid: process.pid, groups: [] }));
    let got = false;
    const waiting = withFixtureLock(lock, async () => {
      got = true;
    });
    await new Promise((r) => setTimeout(r, 700));
    expect(got).toBe(false);
    await rm(lock, { recursive: true });
    await waiting;
    expect(got).toBe(true);
  });
});
