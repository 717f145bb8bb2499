#!/usr/bin/env node
import { isPlantidError } from '@plantid/core';
import { parsePort, runServeCommand, SERVE_ENV_VARS, type ServeFlags } from '@plantid/serve-api';
import { Command, CommanderError, InvalidArgumentError } from 'commander';

const envHelp = Object.entries(SERVE_ENV_VARS)
  .map(([name, { key }]) => `  ${name.padEnd(22)} ${key}`)
  .join('\n');

const program = new Command('plantid-api')
  .description(
    'Serve a plantid model bundle: REST API, web page at /, Swagger UI at /docs, Prometheus /metrics',
  )
  .option('-b, --bundle <ref>', 'bundle folder, or registry name@alias (e.g. plantid@production)')
  .option('-c, --config <file>', 'config.yaml: its serve, engine and export.registry sections')
  .option('--host <host>', 'interface to listen on (default serve.host, 127.0.0.1)')
  .option('-p, --port <port>', 'TCP port (default serve.port, 8080)', (v) => {
    try {
      return parsePort(v);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  })
  .option(
    '--set <key=value>',
    'override a config value, e.g. serve.topK=5 (repeatable; needs --config)',
    (v: string, all: string[] = []) => [...all, v],
  )
  .addHelpText(
    'after',
    `\nPrecedence: flags > environment > config.yaml > defaults.\nEnvironment variables:\n${envHelp}\n`,
  )
  .exitOverride();

// `pnpm start -- --bundle x` hands the script a literal `--`; drop it so the flags still parse.
const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (controller.signal.aborted) process.exit(1);
    controller.abort();
  });
}

try {
  program.parse(argv, { from: 'user' });
  const flags = program.opts<ServeFlags>();
  if (flags.set?.length && !flags.config) {
    program.error('error: --set needs --config (it overrides values of that file)', { exitCode: 2 });
  }
  await runServeCommand(flags, { signal: controller.signal });
  process.exitCode = 0;
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
  } else if (isPlantidError(error)) {
    process.stderr.write(`error: ${error.toLine()}\n`);
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(`error: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
    if (process.env.PLANTID_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = 1;
  }
}
