import { mapPool } from '@plantid/core';
import sharp from 'sharp';

/** A small oriented WebP thumbnail as a data URI, or null when the file cannot be decoded. */
export async function thumbnailDataUri(file: string, side = 112): Promise<string | null> {
  try {
    const data = await sharp(file, { failOn: 'none', pages: 1 })
      .autoOrient()
      .resize(side, side, { fit: 'inside' })
      .flatten({ background: '#ffffff' })
      .webp({ quality: 60 })
      .toBuffer();
    return `data:image/webp;base64,${data.toString('base64')}`;
  } catch {
    return null;
  }
}

/** Thumbnails for the given files with at most `concurrency` decodes in flight. */
export async function thumbnailsFor(
  files: string[],
  concurrency: number,
): Promise<Map<string, string | null>> {
  const unique = [...new Set(files)];
  const uris = await mapPool(unique, (file) => thumbnailDataUri(file), { concurrency });
  return new Map(unique.map((file, i) => [file, uris[i]!]));
}
