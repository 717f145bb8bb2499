import type { StageDefinition } from '@plantid/core';
import type { Command } from 'commander';

/** What every command gets: the stage registry and where to write. Injected so tests run commands in-process. */
export interface CliContext {
  stages: readonly StageDefinition[];
  /** Data for the user or for pipes (tables, DOT, JSON). */
  stdout(text: string): void;
  /** Logs, progress, errors. */
  stderr(text: string): void;
  /** Aborted on Ctrl-C: long commands stop at the next safe point. */
  signal: AbortSignal;
  /** Whether stderr is a terminal (live progress bars). */
  stderrIsTTY: boolean;
  /** Whether log lines on stderr get ANSI colours (a terminal, NO_COLOR / FORCE_COLOR honoured). */
  stderrColor: boolean;
  /** Set by a command's action; `main` returns it. */
  exitCode: number;
}

/** A CLI command module: `commands/index.ts` lists them; each adds its commands to the program. */
export interface CommandModule {
  register(program: Command, ctx: CliContext): void;
}
