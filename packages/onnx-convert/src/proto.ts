import onnxProto from 'onnx-proto';

/** The generated ONNX protobuf classes (onnx-proto is CommonJS; its namespace lives on the default export). */
export const onnx = onnxProto.onnx;
export type { onnx as OnnxTypes } from 'onnx-proto';

export const DataType = onnx.TensorProto.DataType;
export const AttributeType = onnx.AttributeProto.AttributeType;

/** Decodes .onnx bytes into a ModelProto. */
export function decodeModel(bytes: Uint8Array): InstanceType<typeof onnx.ModelProto> {
  return onnx.ModelProto.decode(bytes);
}

/** Encodes a ModelProto (or plain object of the same shape) into .onnx bytes. */
export function encodeModel(model: Parameters<typeof onnx.ModelProto.encode>[0]): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}
