export interface Label {
  index: number;
  id: string;
  name: string;
}

export interface Prediction {
  /** Stable label id (slug) from labels.json. */
  label: string;
  /** Display name. */
  name: string;
  confidence: number;
}

const TINY = 1e-12;

/**
 * Temperature scaling of softmax outputs: softmax(log(p) / T) equals softmax(logits / T),
 * because log p differs from the logits only by a constant. T = 1 (or none) is a no-op.
 */
export function calibrate(probabilities: Float32Array, temperature: number | null): Float32Array {
  if (temperature === null || temperature === 1) return probabilities;
  const scaled = new Float64Array(probabilities.length);
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < probabilities.length; i++) {
    scaled[i] = Math.log(Math.max(probabilities[i]!, TINY)) / temperature;
    if (scaled[i]! > max) max = scaled[i]!;
  }
  let sum = 0;
  for (let i = 0; i < scaled.length; i++) {
    scaled[i] = Math.exp(scaled[i]! - max);
    sum += scaled[i]!;
  }
  const out = new Float32Array(probabilities.length);
  for (let i = 0; i < scaled.length; i++) out[i] = scaled[i]! / sum;
  return out;
}

/** The k most confident labels, best first (ties keep label order). */
export function topK(probabilities: Float32Array, labels: readonly Label[], k: number): Prediction[] {
  const order = Array.from(probabilities.keys()).sort(
    (a, b) => probabilities[b]! - probabilities[a]! || a - b,
  );
  return order.slice(0, k).map((i) => {
    const label = labels[i];
    if (!label) throw new Error(`model output ${i} has no entry in labels.json (${labels.length} labels)`);
    return { label: label.id, name: label.name, confidence: round(probabilities[i]!) };
  });
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
