import { describe, expect, it } from 'vitest';
import { createProgressFactory, formatDuration } from '../src/index.js';

function capture() {
  const lines: string[] = [];
  const write = (text: string) => {
    lines.push(...text.trimEnd().split('\n'));
    return true;
  };
  const stream = { write, isTTY: false };
  return { lines, stream: stream as unknown as NodeJS.WritableStream };
}

describe('progress', () => {
  it('json mode writes periodic JSON lines with rate and ETA, and a final line', () => {
    let now = 0;
    const { lines, stream } = capture();
    const progress = createProgressFactory({ format: 'json', stream, intervalMs: 1000, now: () => now })(
      'embedding',
      100,
      'img',
    );
    for (let i = 0; i < 100; i++) {
      now += 50; // 20 img/s
      progress.tick(1, { loss: 0.5 });
      if (i === 49) expect(lines.map((l) => JSON.parse(l).done)).toEqual([1, 21, 41]);
    }
    progress.stop();
    progress.stop();
    const records = lines.map((l) => JSON.parse(l));
    expect(records.at(-1)).toMatchObject({
      msg: 'progress',
      label: 'embedding',
      done: 100,
      total: 100,
      unit: 'img',
      rate: 20,
      final: true,
    });
    const half = records.find((r) => r.done === 41)!;
    expect(half).toMatchObject({ rate: 20, etaSeconds: 3, final: false, loss: 0.5 });
  });

  it('pretty mode off a terminal writes readable lines', () => {
    let now = 0;
    const { lines, stream } = capture();
    const progress = createProgressFactory({ format: 'pretty', stream, intervalMs: 10_000, now: () => now })(
      'epochs',
      4,
      'epoch',
    );
    for (let i = 0; i < 4; i++) {
      now += 30_000;
      progress.tick();
    }
    progress.stop();
    expect(lines[0]).toBe('epochs 1/4 epoch (25%) 30.0 s/epoch ETA 1:30');
    expect(lines.at(-1)).toBe('epochs 4/4 epoch (100%) 30.0 s/epoch done in 2:00');
  });

  it('formats durations', () => {
    expect(formatDuration(59.6)).toBe('1:00');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(undefined)).toBe('?');
  });
});
