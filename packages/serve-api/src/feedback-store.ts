import { randomUUID } from 'node:crypto';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import {
  appendFeedbackRecord,
  FEEDBACK_FILE,
  FEEDBACK_IMAGES,
  type FeedbackLocation,
  type FeedbackRecord,
  sha256,
  writeFileAtomic,
} from '@plantid/core';
import sharp from 'sharp';
import type { RememberedPrediction } from './prediction-memory.js';
import type { SniffedFormat } from './sniff.js';

export { FEEDBACK_FILE, FEEDBACK_IMAGES, type FeedbackLocation, type FeedbackRecord } from '@plantid/core';

/**
 * Append-only feedback store: `feedback.jsonl` (one FeedbackRecord per line) and
 * content-addressed photos `images/<sha[0:2]>/<sha>.<ext>`, written atomically.
 * Nothing is ever rewritten or deleted.
 */
export class FeedbackStore {
  constructor(readonly dir: string) {}

  get file(): string {
    return join(this.dir, FEEDBACK_FILE);
  }

  async add(input: {
    prediction: RememberedPrediction;
    label: string;
    consent: boolean;
    location?: FeedbackLocation | null;
  }): Promise<FeedbackRecord> {
    const { prediction, consent } = input;
    let image: string | null = null;
    let imageSha256: string | null = null;
    if (consent) {
      const stored = await stripMetadata(prediction.bytes, prediction.format);
      imageSha256 = sha256(stored.bytes);
      image = `${FEEDBACK_IMAGES}/${imageSha256.slice(0, 2)}/${imageSha256}.${stored.ext}`;
      const path = join(this.dir, image);
      if (!(await exists(path))) await writeFileAtomic(path, stored.bytes);
    }
    const record: FeedbackRecord = {
      id: randomUUID(),
      time: new Date().toISOString(),
      predictionId: prediction.id,
      model: prediction.model,
      predicted: prediction.top1,
      label: input.label,
      correct: input.label === prediction.top1.label,
      consent,
      image,
      imageSha256,
      location: input.location ?? null,
    };
    await appendFeedbackRecord(this.dir, record);
    return record;
  }
}

/**
 * Re-encodes the photo with EXIF orientation applied to the pixels and every metadata block
 * (EXIF with GPS, XMP, IPTC, comments) dropped: sharp writes no metadata unless asked to.
 * JPEG and WebP stay lossy at high quality; everything else becomes lossless PNG.
 */
export async function stripMetadata(
  bytes: Uint8Array,
  format: SniffedFormat,
): Promise<{ bytes: Uint8Array; ext: string }> {
  const image = sharp(bytes, { failOn: 'error' }).autoOrient();
  if (format === 'jpeg')
    return { bytes: await image.jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer(), ext: 'jpg' };
  if (format === 'webp') return { bytes: await image.webp({ quality: 95 }).toBuffer(), ext: 'webp' };
  return { bytes: await image.png().toBuffer(), ext: 'png' };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
