/**
 * Temperature scaling (Guo et al. 2017), fitted by evaluate and applied by serving: one
 * implementation so the confidences a user sees are the ones the report measured.
 */

/** Probabilities below this are taken as this before the log (float32 softmax can round to 0). */
export const PROBABILITY_FLOOR = 1e-30;

const logOf = (p: number) => Math.log(Math.max(p, PROBABILITY_FLOOR));

/**
 * softmax(log p / T) for each row of `probs` (rows of `classes` softmax probabilities). The
 * logs equal the logits up to a per-row constant that softmax cancels. T = 1 returns a copy.
 */
export function applyTemperature(
  probs: Float32Array | readonly number[],
  classes: number,
  temperature: number,
): Float32Array {
  const out = new Float32Array(probs.length);
  const row = new Float64Array(classes);
  for (let start = 0; start < probs.length; start += classes) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < classes; c++) {
      row[c] = logOf(probs[start + c]!) / temperature;
      if (row[c]! > max) max = row[c]!;
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      row[c] = Math.exp(row[c]! - max);
      sum += row[c]!;
    }
    for (let c = 0; c < classes; c++) out[start + c] = row[c]! / sum;
  }
  return out;
}

function meanNll(
  logProbs: Float64Array,
  actual: readonly number[],
  classes: number,
  temperature: number,
): number {
  let total = 0;
  for (let i = 0; i < actual.length; i++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < classes; c++) max = Math.max(max, logProbs[i * classes + c]! / temperature);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logProbs[i * classes + c]! / temperature - max);
    total -= logProbs[i * classes + actual[i]!]! / temperature - max - Math.log(sum);
  }
  return total / Math.max(1, actual.length);
}

/**
 * The temperature minimising negative log-likelihood on held-out data, by golden-section
 * search over log T in [1/20, 20]; NLL is unimodal in T for fixed logits. 1 with no data.
 */
export function fitTemperature(
  probs: Float32Array | readonly number[],
  actual: readonly number[],
  classes: number,
): number {
  if (actual.length === 0) return 1;
  const logProbs = Float64Array.from(probs, logOf);
  const f = (logT: number) => meanNll(logProbs, actual, classes, Math.exp(logT));
  let lo = Math.log(1 / 20);
  let hi = Math.log(20);
  const phi = (Math.sqrt(5) - 1) / 2;
  let x1 = hi - phi * (hi - lo);
  let x2 = lo + phi * (hi - lo);
  let f1 = f(x1);
  let f2 = f(x2);
  for (let iter = 0; iter < 60 && hi - lo > 1e-5; iter++) {
    if (f1 < f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - phi * (hi - lo);
      f1 = f(x1);
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + phi * (hi - lo);
      f2 = f(x2);
    }
  }
  return Math.exp((lo + hi) / 2);
}
