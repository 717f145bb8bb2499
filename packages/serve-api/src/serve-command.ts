import { resolve } from 'node:path';
import { loadConfig } from '@plantid/core';
import { type RunningServer, type StartOptions, startServer } from './server.js';
import { resolveServeSettings } from './settings.js';

/** The flags both CLI entries (`plantid-api`, `pipeline serve`) take. */
export interface ServeFlags {
  config?: string;
  bundle?: string;
  host?: string;
  port?: number;
  set?: string[];
}

/**
 * Loads config.yaml (when given) with `--set` overrides, applies environment variables and
 * flags, starts the server and keeps it up until `signal` aborts; then finishes the requests
 * in flight and resolves. Bad usage throws UsageError before anything listens.
 */
export async function runServeCommand(
  flags: ServeFlags,
  options: {
    signal: AbortSignal;
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    onStarted?: (server: RunningServer) => void;
  } & StartOptions,
): Promise<void> {
  const { signal, env, cwd, onStarted, ...start } = options;
  // Under `pnpm --filter api start` the script runs in apps/api; paths the user typed are relative to INIT_CWD.
  const userCwd = cwd ?? process.env.INIT_CWD ?? process.cwd();
  const loaded = flags.config
    ? await loadConfig(resolve(userCwd, flags.config), { overrides: flags.set ?? [], env })
    : undefined;
  const settings = resolveServeSettings({
    config: loaded?.config,
    configDir: loaded?.configDir,
    env,
    cwd: userCwd,
    flags: { bundle: flags.bundle, host: flags.host, port: flags.port },
  });
  if (signal.aborted) return;
  const server = await startServer(settings, start);
  onStarted?.(server);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  server.app.log.info({ event: 'shutdown' }, 'finishing in-flight requests, then exiting');
  await server.close();
}

/** `--port` parser shared by the CLIs. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port ${value}: expected a whole number 0..65535`);
  return port;
}
