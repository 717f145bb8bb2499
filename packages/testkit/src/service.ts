import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireService } from './tier.js';

/** A server process started by a test: its own process group, stopped by PID. */
export interface Service {
  readonly name: string;
  /** PID of the process, and of its process group (workers it forks die with it). */
  readonly pid: number;
  readonly port: number;
  /** Its state, config and log (`<name>.log`). */
  readonly dir: string;
  /** The log so far (stdout and stderr). */
  logs(): Promise<string>;
  /** SIGTERM to the group, SIGKILL after the grace time, waits until no member is left. Idempotent. */
  stop(): Promise<void>;
}

export interface ServiceOptions {
  name: string;
  command: string;
  args: string[];
  port: number;
  dir: string;
  /** Remove `dir` on stop (true when the helper made it). */
  removeDir: boolean;
  env?: NodeJS.ProcessEnv;
  /** Resolves true once the service answers; polled every 200 ms until `readyTimeoutMs`. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
  stopGraceMs?: number;
  /** Appended to errors when the process cannot start: the setup script that installs it. */
  hint: string;
}

// Process groups still running: killed when the test process exits or is signalled, so a crashed or
// timed-out test leaves no orphan server behind.
const running = new Set<number>();

function killAllNow(): void {
  for (const pgid of running) signalGroup(pgid, 'SIGKILL');
}

let exitHooked = false;
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAllNow();
      // Alone on this signal, we replaced its default (exit): restore it and re-raise.
      if (process.listenerCount(signal) === 1) {
        process.off(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone
  }
}

/** Living (non-zombie) processes whose process group is `pgid` (Linux /proc). */
export function processGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state !== 'Z' && Number(pgrp) === pgid) members.push(Number(entry));
  }
  return members;
}

/** A fresh directory under the OS temp dir for one service's state. */
export function makeServiceDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `plantid-${name}-`));
}

function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Spawns the service in its own process group, logging to `<dir>/<name>.log`, and waits until ready. */
export async function startService(options: ServiceOptions): Promise<Service> {
  const { name, command, args, port, dir, removeDir, hint } = options;
  requireService(name);
  const logPath = join(dir, `${name}.log`);
  const log = openSync(logPath, 'a');
  const child = spawn(command, args, {
    cwd: dir,
    detached: true,
    stdio: ['ignore', log, log],
    env: options.env ?? process.env,
  });
  closeSync(log);
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.on('error', (error) => {
      exit ??= `could not start (${error.message})`;
      resolve();
    });
    child.on('exit', (code, signal) => {
      exit ??= signal ? `was killed by ${signal}` : `exited with code ${code}`;
      resolve();
    });
  });
  const pid = child.pid;
  if (pid !== undefined) {
    hookExit();
    running.add(pid);
  }
  const logs = () => readFile(logPath, 'utf8').catch(() => '');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (pid !== undefined) {
        signalGroup(pid, 'SIGTERM');
        const graceful = await Promise.race([
          exited.then(() => true),
          sleep(options.stopGraceMs ?? 10_000).then(() => false),
        ]);
        if (!graceful) signalGroup(pid, 'SIGKILL');
        await exited;
        // Workers the leader left behind go with the group.
        for (let i = 0; i < 50 && processGroupMembers(pid).length > 0; i++) {
          signalGroup(pid, 'SIGKILL');
          await sleep(100);
        }
        running.delete(pid);
      } else {
        await exited;
      }
      if (removeDir) await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  const service: Service = { name, pid: pid ?? -1, port, dir, logs, stop };

  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exit !== undefined) {
      const text = await logs();
      await stop();
      throw new Error(`${name} (${command}) ${exit} before it was ready; ${hint}\n${tail(text)}`);
    }
    if (await options.ready().catch(() => false)) return service;
    if (Date.now() > deadline) {
      const text = await logs();
      await stop();
      throw new Error(
        `${name} was not ready on 127.0.0.1:${port} within ${timeoutMs / 1000} s\n${tail(text)}`,
      );
    }
    await sleep(200);
  }
}

/** A readiness check: GET `url` answers with a status `accept` takes (default 200). */
export function httpAnswers(url: string, accept: (status: number) => boolean = (status) => status === 200) {
  return async (): Promise<boolean> => {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return accept(response.status);
  };
}
