import sharp from 'sharp';

/** A w×h image of left/right halves in two colours, encoded as PNG. */
export async function halves(
  w: number,
  h: number,
  left: [number, number, number],
  right: [number, number, number],
): Promise<Buffer> {
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const c = x < w / 2 ? left : right;
      data.set(c, (y * w + x) * 3);
    }
  }
  return sharp(data, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toBuffer();
}

/** A w×h WebP with detail everywhere (crossing colour waves), so every crop, turn and jitter shows. */
export async function texture(w: number, h: number): Promise<Buffer> {
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const wave = (fx: number, fy: number) => Math.round(127.5 + 127.5 * Math.sin(fx * x + fy * y));
      data.set([wave(0.11, 0.03), wave(0.02, 0.17), wave(0.07, -0.09)], (y * w + x) * 3);
    }
  }
  return sharp(data, { raw: { width: w, height: h, channels: 3 } })
    .webp({ quality: 90 })
    .toBuffer();
}

export function solid(
  w: number,
  h: number,
  c: { r: number; g: number; b: number; alpha?: number },
  channels: 3 | 4 = 3,
) {
  return sharp({ create: { width: w, height: h, channels, background: c } });
}

/** RGB of pixel (x, y) in an NHWC size×size uint8 image. */
export function pixel(rgb: Uint8Array, size: number, x: number, y: number): [number, number, number] {
  const i = (y * size + x) * 3;
  return [rgb[i]!, rgb[i + 1]!, rgb[i + 2]!];
}
