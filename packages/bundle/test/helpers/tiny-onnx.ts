import { onnx } from '@plantid/onnx-convert';

/**
 * A real, runnable ONNX classifier (NHWC [n,size,size,3] → Flatten → MatMul → Add → Softmax)
 * with seeded weights, for bundle and registry tests that need model bytes but no training.
 */
export function tinyOnnxClassifier(options: { size: number; classes: number; seed?: number }): Uint8Array {
  const { size, classes } = options;
  const features = size * size * 3;
  let state = options.seed ?? 1;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31 - 0.5;
  };
  const weights = Float32Array.from({ length: features * classes }, random);
  const bias = Float32Array.from({ length: classes }, random);
  const tensor = (name: string, dims: number[], data: Float32Array) =>
    onnx.TensorProto.create({
      name,
      dims,
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(data.buffer),
    });
  const valueInfo = (name: string, dims: (number | string)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
        },
      },
    });
  const graph = onnx.GraphProto.create({
    name: 'tiny',
    input: [valueInfo('input', ['batch', size, size, 3])],
    output: [valueInfo('probabilities', ['batch', classes])],
    initializer: [tensor('W', [features, classes], weights), tensor('b', [classes], bias)],
    node: [
      {
        opType: 'Flatten',
        input: ['input'],
        output: ['flat'],
        attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
      },
      { opType: 'MatMul', input: ['flat', 'W'], output: ['logits0'] },
      { opType: 'Add', input: ['logits0', 'b'], output: ['logits'] },
      {
        opType: 'Softmax',
        input: ['logits'],
        output: ['probabilities'],
        attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
      },
    ],
  });
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'plantid-test',
      opsetImport: [{ domain: '', version: 13 }],
      graph,
    }),
  ).finish();
}
