import { type OnnxTypes, onnx } from '@plantid/onnx-convert';

export type TensorProto = OnnxTypes.TensorProto;
export type ModelProto = OnnxTypes.ModelProto;
export type NodeProto = OnnxTypes.NodeProto;

export const DataType = onnx.TensorProto.DataType;

/** The float32 values of an initialiser stored as raw_data or float_data (copied, so aligned). */
export function floatValues(tensor: TensorProto): Float32Array | null {
  if (tensor.dataType !== DataType.FLOAT) return null;
  if (tensor.rawData && tensor.rawData.byteLength > 0) {
    const copy = new Uint8Array(tensor.rawData);
    return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  }
  return Float32Array.from(tensor.floatData ?? []);
}

export function elementCount(tensor: TensorProto): number {
  return (tensor.dims ?? []).reduce<number>((n, d) => n * Number(d), 1);
}

export function makeNode(
  opType: string,
  inputs: string[],
  outputs: string[],
  name: string,
  attribute: OnnxTypes.IAttributeProto[] = [],
): NodeProto {
  return onnx.NodeProto.create({ opType, input: inputs, output: outputs, name, attribute });
}

export function rawTensor(name: string, dims: number[], dataType: number, bytes: Uint8Array): TensorProto {
  return onnx.TensorProto.create({ name, dims, dataType, rawData: bytes });
}

export function intAttribute(name: string, value: number): OnnxTypes.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
}
