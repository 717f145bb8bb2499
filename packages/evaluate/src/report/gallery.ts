import type { Label } from '@plantid/core';
import type { GalleryItem } from './html.js';
import { thumbnailDataUri } from './images.js';

/**
 * fastai's plot_top_losses: misclassified images, highest loss (−log p(true class)) first,
 * with thumbnail, true and predicted class and the model's confidences.
 */
export async function topLossGallery(
  items: readonly { path: string; file: string; labelIndex: number }[],
  probs: Float32Array,
  labels: readonly Label[],
  size: number,
): Promise<{ gallery: GalleryItem[]; misclassified: number }> {
  const classes = labels.length;
  const misses = items
    .map((item, i) => {
      const row = probs.subarray(i * classes, (i + 1) * classes);
      let predicted = 0;
      for (let c = 1; c < classes; c++) if (row[c]! > row[predicted]!) predicted = c;
      const pTrue = row[item.labelIndex]!;
      return { item, predicted, confidence: row[predicted]!, pTrue, loss: -Math.log(Math.max(pTrue, 1e-12)) };
    })
    .filter((m) => m.predicted !== m.item.labelIndex)
    .sort((a, b) => b.loss - a.loss);
  const gallery: GalleryItem[] = [];
  for (const m of misses.slice(0, size)) {
    gallery.push({
      path: m.item.path,
      actual: labels[m.item.labelIndex]!.name,
      predicted: labels[m.predicted]!.name,
      confidence: m.confidence,
      trueProbability: m.pTrue,
      loss: m.loss,
      thumbnail: await thumbnailDataUri(m.item.file),
    });
  }
  return { gallery, misclassified: misses.length };
}
