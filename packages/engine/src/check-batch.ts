import { UsageError } from '@plantid/core';

/** Throws when `batch` does not hold exactly `n` images of `inputShape`. */
export function checkBatch(batch: Float32Array, n: number, inputShape: readonly number[]): number {
  const perImage = inputShape.reduce((a, b) => a * b, 1);
  if (!Number.isInteger(n) || n < 1 || batch.length !== n * perImage) {
    throw new UsageError(
      `predict got ${batch.length} floats for n=${n}; expected n × ${inputShape.join('×')} = ${n * perImage}`,
      {
        where: 'engine.predict',
        hint: 'pass n preprocessed NHWC float32 images concatenated',
      },
    );
  }
  return perImage;
}

/**
 * Checks a batch, then runs it through `run` in slices of at most `maxBatch` images
 * (bounded memory for any n), concatenating the outputs.
 */
export async function predictInSlices(
  batch: Float32Array,
  n: number,
  shape: { inputShape: readonly number[]; outputSize: number; maxBatch: number },
  run: (slice: Float32Array, count: number) => Promise<Float32Array>,
): Promise<Float32Array> {
  const perImage = checkBatch(batch, n, shape.inputShape);
  if (n <= shape.maxBatch) return run(batch, n);
  const out = new Float32Array(n * shape.outputSize);
  for (let start = 0; start < n; start += shape.maxBatch) {
    const count = Math.min(shape.maxBatch, n - start);
    out.set(
      await run(batch.subarray(start * perImage, (start + count) * perImage), count),
      start * shape.outputSize,
    );
  }
  return out;
}
