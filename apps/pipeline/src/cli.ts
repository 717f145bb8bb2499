#!/usr/bin/env node
import { colorWanted } from '@plantid/core';
import { main } from './main.js';
import { stageRegistry } from './stages.js';

const controller = new AbortController();
process.on('SIGINT', () => {
  if (controller.signal.aborted) process.exit(130);
  process.stderr.write(
    '\nstopping after the work in flight (a stage at its next checkpoint, a server after its open requests); Ctrl-C again to quit now\n',
  );
  controller.abort();
});

process.exitCode = await main(process.argv.slice(2), {
  stages: stageRegistry,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  signal: controller.signal,
  stderrIsTTY: process.stderr.isTTY === true,
  stderrColor: colorWanted(process.stderr.isTTY === true),
});
