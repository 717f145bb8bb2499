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
