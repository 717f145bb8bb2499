import sharp from 'sharp';

/** A square JPEG thumbnail (EXIF-oriented, centre-cropped) as a data: URI for the self-contained report. */
export async function thumbnailDataUri(path: string, size = 128): Promise<string> {
  const jpeg = await sharp(path)
    .rotate()
    .resize(size, size, { fit: 'cover' })
    .jpeg({ quality: 72 })
    .toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}
