/**
 * Variance of the 4-neighbour Laplacian over the interior of a grey image (0–255).
 * Sharp images have strong edges and a high variance; blurred ones a low one. Computed on
 * a thumbnail of fixed size so the figure is comparable across image resolutions.
 */
export function laplacianVariance(grey: Float32Array, width: number, height: number): number {
  if (width < 3 || height < 3) return 0;
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    const row = y * width;
    for (let x = 1; x < width - 1; x++) {
      const i = row + x;
      const lap = grey[i - 1]! + grey[i + 1]! + grey[i - width]! + grey[i + width]! - 4 * grey[i]!;
      sum += lap;
      sumSq += lap * lap;
      n++;
    }
  }
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

/** Mean and standard deviation of a grey image. */
export function greyStats(grey: Float32Array): { mean: number; std: number } {
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < grey.length; i++) {
    const v = grey[i]!;
    sum += v;
    sumSq += v * v;
  }
  const mean = sum / grey.length;
  return { mean, std: Math.sqrt(Math.max(0, sumSq / grey.length - mean * mean)) };
}
