import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { makeServiceDir, processGroupMembers, startService } from '../src/index.js';

const base = { port: 0, removeDir: true, hint: 'is the fixture there?' };

async function waitUntilGone(pgid: number): Promise<number[]> {
  for (let i = 0; i < 50 && processGroupMembers(pgid).length > 0; i++) await sleep(100);
  return processGroupMembers(pgid);
}

describe('startService', () => {
  it('a process that exits before it is ready fails with its exit code, log tail and the setup hint', async () => {
    const dir = await makeServiceDir('early-exit');
    await expect(
      startService({
        ...base,
        name: 'early-exit',
        command: '/bin/sh',
        args: ['-c', 'echo "bind: address in use" >&2; exit 3'],
        dir,
        ready: async () => false,
      }),
    ).rejects.toThrow(/exited with code 3 before it was ready; is the fixture there\?\n.*address in use/);
  });

  it('a process never ready is stopped after the timeout, with no process left', async () => {
    const dir = await makeServiceDir('never-ready');
    await expect(
      startService({
        ...base,
        name: 'never-ready',
        command: '/bin/sh',
        args: ['-c', 'echo $$ > pid; exec sleep 60'],
        dir,
        removeDir: false,
        ready: async () => false,
        readyTimeoutMs: 1000,
      }),
    ).rejects.toThrow('was not ready on 127.0.0.1:0 within 1 s');
    const pid = Number(await readFile(join(dir, 'pid'), 'utf8'));
    expect(processGroupMembers(pid)).toEqual([]);
  });

  it('stop() also kills the workers a service forked, and is idempotent', async () => {
    const service = await startService({
      ...base,
      name: 'forks',
      command: '/bin/sh',
      args: ['-c', 'sleep 300 & sleep 300 & wait'],
      dir: await makeServiceDir('forks'),
      ready: async () => true,
    });
    for (let i = 0; i < 50 && processGroupMembers(service.pid).length < 3; i++) await sleep(50);
    expect(processGroupMembers(service.pid).length).toBe(3);
    await Promise.all([service.stop(), service.stop()]);
    expect(processGroupMembers(service.pid)).toEqual([]);
  });

  it('a test process killed by SIGTERM takes its servers with it', async () => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@plantid/source',
        '--import',
        'tsx',
        'packages/testkit/test/fixtures/start-redis-and-wait.ts',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const redisPid = Number(line.toString().trim());
    expect(processGroupMembers(redisPid).length).toBe(1);
    child.kill('SIGTERM');
    await once(child, 'exit');
    expect(await waitUntilGone(redisPid)).toEqual([]);
  });
});
