import { decodeModel, encodeModel } from '@plantid/onnx-convert';
import type { QuantizeStats } from './fp16.js';
import {
  DataType,
  elementCount,
  floatValues,
  intAttribute,
  makeNode,
  type NodeProto,
  rawTensor,
  type TensorProto,
} from './tensors.js';

/** Weights smaller than this stay float32 (biases, BN vectors, scalars). */
const MIN_ELEMENTS = 256;

/** Which axis of a weight holds output channels, for per-channel scales, or null if not a weight. */
function channelAxis(consumer: NodeProto): number | null {
  if (consumer.opType === 'Conv') {
    // Depthwise kernels (group > 1) are ~1 % of MobileNet weights but the most sensitive: keep them float32.
    const group = Number(consumer.attribute?.find((a) => a.name === 'group')?.i ?? 1);
    return group > 1 ? null : 0; // [out, in, kh, kw]
  }
  if (consumer.opType === 'MatMul') return 1; // [in, out]
  if (consumer.opType === 'Gemm') {
    const transB = consumer.attribute?.find((a) => a.name === 'transB')?.i;
    return Number(transB ?? 0) ? 0 : 1;
  }
  return null;
}

/** Symmetric per-channel int8: scale = max|w| / 127 per channel along `axis`, zero point 0. */
function quantizePerChannel(
  values: Float32Array,
  dims: number[],
  axis: number,
): { q: Int8Array; scales: Float32Array } {
  const channels = dims[axis] as number;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number): number => Math.floor(i / inner) % channels;
  const maxAbs = new Float32Array(channels);
  for (let i = 0; i < values.length; i++) {
    const c = channelOf(i);
    maxAbs[c] = Math.max(maxAbs[c] as number, Math.abs(values[i] as number));
  }
  const scales = maxAbs.map((m) => (m > 0 ? m / 127 : 1));
  const q = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    q[i] = Math.max(
      -127,
      Math.min(127, Math.round((values[i] as number) / (scales[channelOf(i)] as number))),
    );
  }
  return { q, scales };
}

/**
 * int8 weights-only variant: Conv/Gemm/MatMul weights of ≥ 256 values are stored as int8 with
 * one float32 scale per output channel, restored by DequantizeLinear (opset 13, axis) at the
 * start of the graph. Activations stay float32, so every CPU runs it and accuracy barely moves;
 * the file shrinks ~3× (depthwise kernels stay float32). (Static QDQ with calibrated activations would also speed it up; not done.)
 */
export function quantizeInt8(fp32: Uint8Array): { bytes: Uint8Array; stats: QuantizeStats } {
  const model = decodeModel(fp32);
  const graph = model.graph;
  if (!graph) throw new Error('ONNX model has no graph');
  const nodes = (graph.node ?? []) as NodeProto[];
  const stats: QuantizeStats = { tensors: 0, bytesBefore: 0, bytesAfter: 0 };
  const dequantize: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  for (const tensor of (graph.initializer ?? []) as TensorProto[]) {
    const name = tensor.name;
    const consumers = nodes.filter((n) => n.input.includes(name));
    const axes = new Set(consumers.map((n) => (n.input[1] === name ? channelAxis(n) : null)));
    const axis = axes.size === 1 ? [...axes][0] : null;
    const values = floatValues(tensor);
    if (axis == null || !values || elementCount(tensor) < MIN_ELEMENTS) {
      initializers.push(tensor);
      continue;
    }
    const dims = (tensor.dims ?? []).map(Number);
    const { q, scales } = quantizePerChannel(values, dims, axis);
    const channels = dims[axis] as number;
    initializers.push(
      rawTensor(`${name}_int8`, dims, DataType.INT8, new Uint8Array(q.buffer)),
      rawTensor(`${name}_scale`, [channels], DataType.FLOAT, new Uint8Array(scales.buffer)),
      rawTensor(`${name}_zero_point`, [channels], DataType.INT8, new Uint8Array(channels)),
    );
    dequantize.push(
      makeNode(
        'DequantizeLinear',
        [`${name}_int8`, `${name}_scale`, `${name}_zero_point`],
        [name],
        `${name}_dequantize`,
        [intAttribute('axis', axis)],
      ),
    );
    stats.tensors++;
    stats.bytesBefore += values.byteLength;
    stats.bytesAfter += q.byteLength + scales.byteLength + channels;
  }
  graph.initializer = initializers;
  graph.node = [...dequantize, ...nodes];
  model.docString =
    `${model.docString ?? ''} int8 per-channel weights (DequantizeLinear), float32 activations.`.trim();
  return { bytes: encodeModel(model), stats };
}
