import {
  createLogger,
  createProgressFactory,
  type LogFormat,
  type Logger,
  type ProgressFactory,
} from '@plantid/core';
import type { CliContext } from './types.js';

export function cliLogger(ctx: CliContext, format: LogFormat): Logger {
  return createLogger({ format, color: ctx.stderrColor, write: (line) => ctx.stderr(`${line}\n`) });
}

export function cliProgress(ctx: CliContext, format: LogFormat): ProgressFactory {
  const stream =
    format === 'pretty' && ctx.stderrIsTTY
      ? process.stderr
      : ({
          write: (text: string) => {
            ctx.stderr(text);
            return true;
          },
          isTTY: false,
        } as unknown as NodeJS.WritableStream);
  return createProgressFactory({ format, stream });
}

/** `a,b , c` → ['a', 'b', 'c']. */
export function parseList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
