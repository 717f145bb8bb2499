import { toFloat16Bits } from '@plantid/core';
import { decodeModel, encodeModel } from '@plantid/onnx-convert';
import {
  DataType,
  elementCount,
  floatValues,
  intAttribute,
  makeNode,
  rawTensor,
  type TensorProto,
} from './tensors.js';

/** Initialisers smaller than this stay float32 (scalars, tiny biases: nothing to gain). */
const MIN_ELEMENTS = 16;

export interface QuantizeStats {
  /** Initialisers converted. */
  tensors: number;
  /** Their float32 bytes before, and bytes after. */
  bytesBefore: number;
  bytesAfter: number;
}

/**
 * fp16-weights variant: every float32 initialiser of ≥ 16 values is stored as float16 and
 * cast back to float32 by a Cast node (ONNX Runtime folds the casts at load, so the graph runs
 * in float32 on any CPU; only the file halves and the weights round to 11 significant bits).
 */
export function quantizeFp16(fp32: Uint8Array): { bytes: Uint8Array; stats: QuantizeStats } {
  const model = decodeModel(fp32);
  const graph = model.graph;
  if (!graph) throw new Error('ONNX model has no graph');
  const casts = [];
  const stats: QuantizeStats = { tensors: 0, bytesBefore: 0, bytesAfter: 0 };
  const initializers = [];
  for (const tensor of (graph.initializer ?? []) as TensorProto[]) {
    const values = floatValues(tensor);
    if (!values || elementCount(tensor) < MIN_ELEMENTS) {
      initializers.push(tensor);
      continue;
    }
    const half = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) half[i] = toFloat16Bits(values[i] as number);
    const name = tensor.name as string;
    const stored = `${name}_fp16`;
    initializers.push(
      rawTensor(stored, (tensor.dims ?? []).map(Number), DataType.FLOAT16, new Uint8Array(half.buffer)),
    );
    casts.push(makeNode('Cast', [stored], [name], `${name}_cast`, [intAttribute('to', DataType.FLOAT)]));
    stats.tensors++;
    stats.bytesBefore += values.byteLength;
    stats.bytesAfter += half.byteLength;
  }
  graph.initializer = initializers;
  graph.node = [...casts, ...(graph.node ?? [])];
  model.docString = `${model.docString ?? ''} fp16 weights (Cast to float32 at load).`.trim();
  return { bytes: encodeModel(model), stats };
}
