import { applyTemperature, displayName, type Label } from '@plantid/core';

export type { Label };

export interface Prediction {
  /** Stable label id (slug) from labels.json. */
  label: string;
  /** Display name: a common name (`?lang=`), else the scientific name, else the cleaned folder name. */
  name: string;
  scientificName?: string;
  genus?: string;
  family?: string;
  confidence: number;
}

/** One image's softmax output with the bundle's temperature (core's scaling, as evaluate fitted it); T = 1 or none is a no-op. */
export function calibrate(probabilities: Float32Array, temperature: number | null): Float32Array {
  if (temperature === null || temperature === 1) return probabilities;
  return applyTemperature(probabilities, probabilities.length, temperature);
}

/** The k most confident labels, best first (ties keep label order). */
export function topK(probabilities: Float32Array, labels: readonly Label[], k: number): Prediction[] {
  const order = Array.from(probabilities.keys()).sort(
    (a, b) => probabilities[b]! - probabilities[a]! || a - b,
  );
  return order.slice(0, k).map((i) => {
    const label = labels[i];
    if (!label) throw new Error(`model output ${i} has no entry in labels.json (${labels.length} labels)`);
    return { label: label.id, name: displayName(label), confidence: round(probabilities[i]!) };
  });
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
