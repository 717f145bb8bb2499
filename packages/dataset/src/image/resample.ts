/**
 * Area-average resampling of a single-channel float image to `outW`×`outH`
 * (aspect ignored). Each output pixel is the exact mean of the source area it covers,
 * so the result does not depend on how the thumbnail was produced.
 */
export function resizeArea(
  src: Float32Array,
  w: number,
  h: number,
  outW: number,
  outH: number,
): Float32Array {
  const horizontal = new Float32Array(outW * h);
  const sx = w / outW;
  for (let ox = 0; ox < outW; ox++) {
    const x0 = ox * sx;
    const x1 = x0 + sx;
    for (let y = 0; y < h; y++) {
      let sum = 0;
      for (let x = Math.floor(x0); x < Math.min(w, Math.ceil(x1)); x++) {
        const cover = Math.min(x + 1, x1) - Math.max(x, x0);
        sum += src[y * w + x]! * cover;
      }
      horizontal[y * outW + ox] = sum / sx;
    }
  }
  const out = new Float32Array(outW * outH);
  const sy = h / outH;
  for (let oy = 0; oy < outH; oy++) {
    const y0 = oy * sy;
    const y1 = y0 + sy;
    for (let ox = 0; ox < outW; ox++) {
      let sum = 0;
      for (let y = Math.floor(y0); y < Math.min(h, Math.ceil(y1)); y++) {
        const cover = Math.min(y + 1, y1) - Math.max(y, y0);
        sum += horizontal[y * outW + ox]! * cover;
      }
      out[oy * outW + ox] = sum / sy;
    }
  }
  return out;
}
