import { execFile } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireService } from './tiers.js';

const run = promisify(execFile);

/** Python of the tools venv that .ci/setup.d/40-onnx-checker.sh installs `onnx` into. */
export function toolsPython(): string {
  return join(process.env.PLANTID_TOOLS ?? join(homedir(), '.cache/plantid-tools'), 'venv/bin/python');
}

/** Runs the official ONNX checker (full_check: shape inference too) on each file; rejects naming the first bad one. */
export async function onnxCheck(paths: string[]): Promise<void> {
  requireService('the ONNX checker (Python onnx)');
  const script =
    'import sys, onnx\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(p, full_check=True)\n';
  await run(toolsPython(), ['-c', script, ...paths]).catch((error: Error & { stderr?: string }) => {
    throw new Error(
      `onnx checker failed (run .ci/setup.d/40-onnx-checker.sh if onnx is missing): ${error.stderr ?? error.message}`,
    );
  });
}
