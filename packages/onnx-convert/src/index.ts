export { type ExtraOutput, findLayer, layersModelToOnnx, type OnnxExportOptions } from './convert.js';
export { decodeModel, encodeModel, type OnnxTypes, onnx } from './proto.js';
export { SERVED_OUTPUTS, servedOutputs } from './served.js';
