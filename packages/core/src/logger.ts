import { createColors } from 'picocolors';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'pretty' | 'json';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines carry `fields` (e.g. `{ stage: 'train' }`). */
  child(fields: LogFields): Logger;
  readonly format: LogFormat;
}

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * Colour only where a person reads the stream: a terminal, unless NO_COLOR is set; FORCE_COLOR forces it.
 * picocolors' own guess looks at stdout and at `CI`, which colours logs written into files and test buffers.
 */
export function colorWanted(isTTY: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return isTTY && env.TERM !== 'dumb';
}

export interface LoggerOptions {
  format?: LogFormat;
  level?: LogLevel;
  /** Where lines go; stderr by default so stdout stays for data (DOT, JSON tables). */
  write?: (line: string) => void;
  fields?: LogFields;
  /** ANSI colours in pretty lines; by default only when writing to stderr that is a terminal. */
  color?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? 'pretty';
  const min = order[options.level ?? (process.env.PLANTID_LOG_LEVEL as LogLevel | undefined) ?? 'info'] ?? 20;
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const base = options.fields ?? {};
  const color = options.color ?? (options.write ? false : colorWanted(process.stderr.isTTY === true));
  const pc = createColors(color);
  const paint: Record<LogLevel, (s: string) => string> = {
    debug: pc.dim,
    info: (s) => s,
    warn: pc.yellow,
    error: pc.red,
  };

  const emit = (level: LogLevel, message: string, fields: LogFields = {}) => {
    if (order[level] < min) return;
    const all = { ...base, ...fields };
    if (format === 'json') {
      write(JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...all }));
      return;
    }
    const scope = typeof all.stage === 'string' ? pc.cyan(`[${all.stage}] `) : '';
    const { stage: _stage, ...rest } = all;
    const extra = Object.keys(rest).length ? pc.dim(` ${formatFields(rest)}`) : '';
    write(paint[level](`${scope}${message}`) + extra);
  };

  return {
    format,
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...options, format, write, color, fields: { ...base, ...fields } }),
  };
}

function formatFields(fields: LogFields): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

/** A logger that keeps lines in memory; for tests that assert what the user is told. */
export function createMemoryLogger(format: LogFormat = 'json'): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ format, level: 'debug', write: (l) => lines.push(l) });
  return Object.assign(logger, { lines });
}
