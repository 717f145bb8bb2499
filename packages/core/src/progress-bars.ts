import cliProgress from 'cli-progress';
import type { LogFormat } from './logger.js';
import type { Progress, ProgressFactory } from './progress.js';

export interface ProgressOptions {
  /** pretty: a live bar on a terminal, periodic lines otherwise; json: periodic JSON lines. */
  format?: LogFormat;
  stream?: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Minimum time between lines when not drawing a live bar. */
  intervalMs?: number;
  /** Clock, replaceable in tests. */
  now?: () => number;
}

interface Counter {
  done: number;
  total: number;
  readonly started: number;
}

/** Items per second since the start, and seconds left at that rate (undefined until known). */
export function rateAndEta(counter: Counter, now: number): { rate: number; eta: number | undefined } {
  const seconds = Math.max((now - counter.started) / 1000, 1e-3);
  const rate = counter.done / seconds;
  const left = Math.max(counter.total - counter.done, 0);
  return { rate, eta: rate > 0 && counter.total > 0 ? left / rate : undefined };
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

function formatRate(rate: number, unit: string): string {
  return rate >= 1 || rate === 0
    ? `${rate.toFixed(rate >= 100 ? 0 : 1)} ${unit}/s`
    : `${(1 / rate).toFixed(1)} s/${unit}`;
}

function formatFields(fields: Record<string, string | number>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(4) : v}`)
    .join(' ');
}

/** The ProgressFactory stages receive as `ctx.progress`: cli-progress bars with rate and ETA, or JSON lines. */
export function createProgressFactory(options: ProgressOptions = {}): ProgressFactory {
  const format = options.format ?? 'pretty';
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? 5000;
  const live = format === 'pretty' && (stream as NodeJS.WriteStream).isTTY === true;
  return (label, total, unit = 'it') => {
    const counter: Counter = { done: 0, total, started: now() };
    let fields: Record<string, string | number> = {};
    let stopped = false;
    if (live) return liveBar(label, counter, unit, stream as NodeJS.WriteStream, now);

    let lastLine = Number.NEGATIVE_INFINITY;
    const line = (final: boolean) => {
      const { rate, eta } = rateAndEta(counter, now());
      lastLine = now();
      if (format === 'json') {
        stream.write(
          `${JSON.stringify({
            time: new Date().toISOString(),
            level: 'info',
            msg: 'progress',
            label,
            done: counter.done,
            total: counter.total,
            unit,
            rate: Number(rate.toFixed(3)),
            etaSeconds: final || eta === undefined ? 0 : Math.round(eta),
            final,
            ...fields,
          })}\n`,
        );
        return;
      }
      const pct = counter.total > 0 ? ` (${Math.floor((100 * counter.done) / counter.total)}%)` : '';
      const tail = final
        ? `done in ${formatDuration((now() - counter.started) / 1000)}`
        : `ETA ${formatDuration(eta)}`;
      const extra = Object.keys(fields).length ? ` ${formatFields(fields)}` : '';
      stream.write(
        `${label} ${counter.done}/${counter.total} ${unit}${pct} ${formatRate(rate, unit)} ${tail}${extra}\n`,
      );
    };
    return {
      tick(n = 1, more) {
        counter.done += n;
        if (more) fields = { ...fields, ...more };
        if (now() - lastLine >= intervalMs) line(false);
      },
      setTotal(next) {
        counter.total = next;
      },
      stop() {
        if (stopped) return;
        stopped = true;
        line(true);
      },
    };
  };
}

function liveBar(
  label: string,
  counter: Counter,
  unit: string,
  stream: NodeJS.WriteStream,
  now: () => number,
): Progress {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} [{bar}] {value}/{total} ${unit} {percentage}% | {speed} | ETA {etaText} {fields}`,
      hideCursor: true,
      clearOnComplete: false,
      barsize: 24,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = (fields: Record<string, string | number>) => {
    const { rate, eta } = rateAndEta(counter, now());
    return { speed: formatRate(rate, unit), etaText: formatDuration(eta), fields: formatFields(fields) };
  };
  let fields: Record<string, string | number> = {};
  let stopped = false;
  bar.start(counter.total, 0, payload(fields));
  return {
    tick(n = 1, more) {
      counter.done += n;
      if (more) fields = { ...fields, ...more };
      bar.update(counter.done, payload(fields));
    },
    setTotal(next) {
      counter.total = next;
      bar.setTotal(next);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.update(counter.done, payload(fields));
      bar.stop();
    },
  };
}

/** Progress that shows nothing; for library calls and tests. */
export const silentProgress: ProgressFactory = () => ({ tick() {}, setTotal() {}, stop() {} });
