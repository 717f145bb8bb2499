/** Largest and mean absolute difference between two equally long outputs. */
export function absDiff(a: Float32Array, b: Float32Array): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    sum += d;
    if (d > max || Number.isNaN(d)) max = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return { max, mean: a.length ? sum / a.length : 0 };
}

/** Index of the largest value in each of the `n` rows. */
export function top1(values: Float32Array, n: number): number[] {
  const width = values.length / n;
  const out: number[] = [];
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let c = 1; c < width; c++)
      if ((values[r * width + c] as number) > (values[r * width + best] as number)) best = c;
    out.push(best);
  }
  return out;
}

export function agreement(a: readonly number[], b: readonly number[]): number {
  if (a.length === 0) return 1;
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}
