/**
 * Explicit ONNX pads [top, left, bottom, right] reproducing TensorFlow's padding: 'valid' pads
 * nothing; 'same' pads (out-1)*stride + effectiveKernel - in in total, the odd pixel at the
 * bottom/right (tfjs `computeConv2DInfo`, identical to ONNX auto_pad SAME_UPPER).
 * Returns null when a spatial size is unknown, so the caller falls back to auto_pad.
 */
export function tfPads(
  padding: string,
  inputHW: readonly (number | null)[],
  kernel: readonly number[],
  strides: readonly number[],
  dilations: readonly number[] = [1, 1],
): number[] | null {
  if (padding === 'valid') return [0, 0, 0, 0];
  const before: number[] = [];
  const after: number[] = [];
  for (let axis = 0; axis < 2; axis++) {
    const size = inputHW[axis];
    if (size == null) return null;
    const stride = strides[axis] ?? 1;
    const effective = ((kernel[axis] ?? 1) - 1) * (dilations[axis] ?? 1) + 1;
    const out = Math.ceil(size / stride);
    const total = Math.max(0, (out - 1) * stride + effective - size);
    before.push(Math.floor(total / 2));
    after.push(total - Math.floor(total / 2));
  }
  return [...before, ...after];
}

/** Transposes a dense row-major array of `shape` by `perm` (like numpy.transpose). */
export function transposeData(
  data: Float32Array,
  shape: readonly number[],
  perm: readonly number[],
): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p] as number);
  const inStrides = new Array<number>(rank);
  let stride = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = stride;
    stride *= shape[i] as number;
  }
  const out = new Float32Array(data.length);
  const index = new Array<number>(rank).fill(0);
  const permStrides = perm.map((p) => inStrides[p] as number);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += (index[i] as number) * (permStrides[i] as number);
    out[o] = data[src] as number;
    for (let i = rank - 1; i >= 0; i--) {
      index[i] = (index[i] as number) + 1;
      if ((index[i] as number) < (outShape[i] as number)) break;
      index[i] = 0;
    }
  }
  return out;
}
