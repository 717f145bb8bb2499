import { parsePort, runServeCommand, type ServeFlags } from '@plantid/serve-api';
import { InvalidArgumentError } from 'commander';
import { collect } from './io.js';
import type { CommandModule } from './types.js';

/** `pipeline serve`: the same server as `plantid-api`, for people already using the pipeline CLI. */
export const serveCommand: CommandModule = {
  register(program, ctx) {
    program
      .command('serve')
      .description(
        'serve a model bundle: REST API, web page, /docs, /metrics (Ctrl-C finishes in-flight requests, then exits)',
      )
      .option('-b, --bundle <ref>', 'bundle folder, or registry name@alias (default: serve.bundle)')
      .option('-c, --config <file>', 'config.yaml: its serve, engine and export.registry sections')
      .option('--host <host>', 'interface to listen on (default serve.host)')
      .option('-p, --port <port>', 'TCP port (default serve.port)', (v) => {
        try {
          return parsePort(v);
        } catch (error) {
          throw new InvalidArgumentError((error as Error).message);
        }
      })
      .option('--set <key=value>', 'override a config value, e.g. serve.topK=5 (repeatable)', collect)
      .action(async (flags: ServeFlags) => {
        const stop = new AbortController();
        const onAbort = () => stop.abort();
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        process.once('SIGTERM', onAbort);
        try {
          await runServeCommand(flags, { signal: stop.signal });
        } finally {
          ctx.signal.removeEventListener('abort', onAbort);
          process.removeListener('SIGTERM', onAbort);
        }
      });
  },
};
