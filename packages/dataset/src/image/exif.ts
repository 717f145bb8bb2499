import exifr from 'exifr';

export interface ExifFacts {
  dateCollected: string | null;
  camera: string | null;
  location: { latitude: number; longitude: number } | null;
}

const NONE: ExifFacts = { dateCollected: null, camera: null, location: null };

/** `2023:05:01 10:11:12` → `2023-05-01T10:11:12` (camera local time; offset appended when recorded). */
function exifDate(value: unknown, offset: unknown): string | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(value.trim());
  if (!m || m[1] === '0000') return null;
  const tz = typeof offset === 'string' && /^[+-]\d{2}:\d{2}$/.test(offset) ? offset : '';
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${tz}`;
}

/** Capture date, camera and (only when asked) GPS position from EXIF; nulls when absent or unreadable. */
export async function readExif(bytes: Uint8Array, keepLocation: boolean): Promise<ExifFacts> {
  let tags: Record<string, unknown> | undefined;
  try {
    tags = await exifr.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), {
      tiff: true,
      exif: true,
      gps: keepLocation,
      ifd1: false,
      interop: false,
      xmp: false,
      icc: false,
      iptc: false,
      jfif: false,
      ihdr: false,
      reviveValues: false,
      translateValues: false,
    });
  } catch {
    return NONE;
  }
  if (!tags) return NONE;
  const make = typeof tags.Make === 'string' ? tags.Make.trim() : '';
  const model = typeof tags.Model === 'string' ? tags.Model.trim() : '';
  const camera = model.toLowerCase().startsWith(make.toLowerCase()) ? model : `${make} ${model}`.trim();
  const lat = tags.latitude;
  const lon = tags.longitude;
  return {
    dateCollected:
      exifDate(tags.DateTimeOriginal, tags.OffsetTimeOriginal) ??
      exifDate(tags.CreateDate, tags.OffsetTimeDigitized) ??
      exifDate(tags.ModifyDate, tags.OffsetTime),
    camera: camera || null,
    location:
      keepLocation &&
      typeof lat === 'number' &&
      typeof lon === 'number' &&
      Number.isFinite(lat) &&
      Number.isFinite(lon)
        ? { latitude: lat, longitude: lon }
        : null,
  };
}
