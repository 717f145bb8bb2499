import type { StageDefinition } from '@plantid/core';
import { main } from '../src/main.js';

/** Runs the `pipeline` CLI in this process with `stages`, capturing what it prints. */
export async function runInProcess(argv: readonly string[], stages: readonly StageDefinition[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stages,
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    signal: new AbortController().signal,
    stderrIsTTY: false,
    stderrColor: false,
  });
  return { code, stdout, stderr };
}
