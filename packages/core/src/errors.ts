/** Exit codes shared by every CLI (DESIGN.md): 0 done, 1 the work failed, 2 bad usage or config. */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An error meant for the user: one line saying what, where and what to do.
 * `exitCode` decides how the CLI ends; `where` is a file, key path or field.
 */
export class PlantidError extends Error {
  readonly exitCode: ExitCode;
  readonly where: string | undefined;
  readonly hint: string | undefined;

  constructor(
    message: string,
    options: { exitCode?: ExitCode; where?: string; hint?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? ExitCode.failed;
    this.where = options.where;
    this.hint = options.hint;
  }

  /** `where: message (hint)` on one line. */
  toLine(): string {
    const where = this.where ? `${this.where}: ` : '';
    const hint = this.hint ? ` (${this.hint})` : '';
    return `${where}${this.message}${hint}`;
  }
}

/** Bad config, bad flags, bad input files given by the user: exit 2, before any long work. */
export class UsageError extends PlantidError {
  constructor(message: string, options: { where?: string; hint?: string; cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.usage });
  }
}

/** The work itself failed (a gate, too little usable data, parity): exit 1. */
export class WorkError extends PlantidError {
  constructor(message: string, options: { where?: string; hint?: string; cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.failed });
  }
}

export function isPlantidError(error: unknown): error is PlantidError {
  return error instanceof PlantidError;
}
