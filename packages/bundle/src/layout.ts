export const BUNDLE_FILES = {
  manifest: 'manifest.json',
  labels: 'labels.json',
  preprocess: 'preprocess.json',
  metrics: 'metrics.json',
  card: 'card.md',
  tfjsDir: 'tfjs',
  tfjsModel: 'tfjs/model.json',
} as const;

/** The ONNX variants a bundle may carry, and their file names. */
export const ONNX_VARIANT_FILES = {
  fp32: 'model.onnx',
  fp16: 'model.fp16.onnx',
  int8: 'model.int8.onnx',
} as const;

export type OnnxVariant = keyof typeof ONNX_VARIANT_FILES;
export type ModelVariant = OnnxVariant | 'tfjs';
export const ONNX_VARIANTS = Object.keys(ONNX_VARIANT_FILES) as OnnxVariant[];
