import type * as tf from '@tensorflow/tfjs';
import { emitActivation } from './activations.js';
import type { ConvertContext, Shape, Value } from './context.js';
import type { AttrValue } from './graph.js';
import { tfPads, transposeData } from './padding.js';

/** Emits the ONNX nodes of one tfjs layer call. `outputShapes` are the tfjs shapes of its outputs. */
export type LayerConverter = (
  ctx: ConvertContext,
  layer: tf.layers.Layer,
  inputs: Value[],
  outputShapes: Shape[],
) => Value[];

type Config = Record<string, unknown>;

interface Weight {
  data: Float32Array;
  shape: number[];
}

function weights(layer: tf.layers.Layer): Weight[] {
  return layer.getWeights().map((t) => ({ data: t.dataSync() as Float32Array, shape: t.shape }));
}

function first<T>(values: T[]): T {
  return values[0] as T;
}

function pair(value: unknown, fallback: number[]): number[] {
  if (value == null) return fallback;
  return Array.isArray(value) ? (value as number[]) : [value as number, value as number];
}

/** Conv/pool attributes for tfjs `padding`, falling back to auto_pad when spatial sizes are unknown. */
function padAttrs(
  padding: string,
  x: Value,
  kernel: number[],
  strides: number[],
  dilations?: number[],
): Record<string, AttrValue> {
  const pads = tfPads(padding, x.shape.slice(1, 3), kernel, strides, dilations);
  return pads ? { pads } : { auto_pad: 'SAME_UPPER' };
}

function notChannelsFirst(config: Config): boolean {
  return config.dataFormat == null || config.dataFormat === 'channelsLast';
}

/** Keras conv kernel [kh, kw, cin, cout] → ONNX [cout, cin, kh, kw]. */
function convKernel(w: Weight): Weight {
  const [kh, kw, cin, cout] = w.shape as [number, number, number, number];
  return { data: transposeData(w.data, w.shape, [3, 2, 0, 1]), shape: [cout, cin, kh, kw] };
}

/** Keras depthwise kernel [kh, kw, cin, mult] → ONNX grouped weight [cin*mult, 1, kh, kw] (channel c*mult+m, as tf). */
function depthwiseKernel(w: Weight): Weight {
  const [kh, kw, cin, mult] = w.shape as [number, number, number, number];
  return { data: transposeData(w.data, [kh, kw, cin * mult], [2, 0, 1]), shape: [cin * mult, 1, kh, kw] };
}

const conv2d: LayerConverter = (ctx, layer, [x], [outShape]) => {
  const c = layer.getConfig();
  const g = ctx.graph;
  const input = x as Value;
  const ws = weights(layer);
  const kernel = convKernel(first(ws));
  const strides = pair(c.strides, [1, 1]);
  const dilations = pair(c.dilationRate, [1, 1]);
  const ksize = kernel.shape.slice(2);
  const inputs = [ctx.nchw(input), g.addInitializer(`${layer.name}_W`, kernel.shape, kernel.data)];
  if (c.useBias && ws[1]) inputs.push(g.addInitializer(`${layer.name}_B`, ws[1].shape, ws[1].data));
  const out = g.op('Conv', inputs, layer.name, {
    kernel_shape: ksize,
    strides,
    dilations,
    group: 1,
    ...padAttrs(c.padding as string, input, ksize, strides, dilations),
  });
  return [
    emitActivation(
      ctx,
      c.activation as string,
      { name: out, shape: outShape as Shape, layout: 'nchw' },
      layer.name,
    ),
  ];
};

const depthwiseConv2d: LayerConverter = (ctx, layer, [x], [outShape]) => {
  const c = layer.getConfig();
  const g = ctx.graph;
  const input = x as Value;
  const ws = weights(layer);
  const kernel = depthwiseKernel(first(ws));
  const strides = pair(c.strides, [1, 1]);
  const dilations = pair(c.dilationRate, [1, 1]);
  const ksize = kernel.shape.slice(2);
  const channels = first(ws).shape[2] as number;
  const inputs = [ctx.nchw(input), g.addInitializer(`${layer.name}_W`, kernel.shape, kernel.data)];
  if (c.useBias && ws[1]) inputs.push(g.addInitializer(`${layer.name}_B`, ws[1].shape, ws[1].data));
  const out = g.op('Conv', inputs, layer.name, {
    kernel_shape: ksize,
    strides,
    dilations,
    group: channels,
    ...padAttrs(c.padding as string, input, ksize, strides, dilations),
  });
  return [
    emitActivation(
      ctx,
      c.activation as string,
      { name: out, shape: outShape as Shape, layout: 'nchw' },
      layer.name,
    ),
  ];
};

const separableConv2d: LayerConverter = (ctx, layer, [x], [outShape]) => {
  const c = layer.getConfig();
  const g = ctx.graph;
  const input = x as Value;
  const [dw, pw, bias] = weights(layer) as [Weight, Weight, Weight | undefined];
  const dwk = depthwiseKernel(dw);
  const pwk = convKernel(pw);
  const strides = pair(c.strides, [1, 1]);
  const dilations = pair(c.dilationRate, [1, 1]);
  const ksize = dwk.shape.slice(2);
  const depthwise = g.op(
    'Conv',
    [ctx.nchw(input), g.addInitializer(`${layer.name}_depthwise_W`, dwk.shape, dwk.data)],
    `${layer.name}_depthwise`,
    {
      kernel_shape: ksize,
      strides,
      dilations,
      group: dw.shape[2] as number,
      ...padAttrs(c.padding as string, input, ksize, strides, dilations),
    },
  );
  const inputs = [depthwise, g.addInitializer(`${layer.name}_pointwise_W`, pwk.shape, pwk.data)];
  if (c.useBias && bias) inputs.push(g.addInitializer(`${layer.name}_B`, bias.shape, bias.data));
  const out = g.op('Conv', inputs, layer.name, {
    kernel_shape: [1, 1],
    strides: [1, 1],
    pads: [0, 0, 0, 0],
    group: 1,
  });
  return [
    emitActivation(
      ctx,
      c.activation as string,
      { name: out, shape: outShape as Shape, layout: 'nchw' },
      layer.name,
    ),
  ];
};

const batchNorm: LayerConverter = (ctx, layer, [x]) => {
  const c = layer.getConfig();
  const g = ctx.graph;
  const input = x as Value;
  const ws = weights(layer);
  let i = 0;
  const channels = (ws[ws.length - 1] as Weight).shape[0] as number;
  const gamma = c.scale ? (ws[i++] as Weight).data : new Float32Array(channels).fill(1);
  const beta = c.center ? (ws[i++] as Weight).data : new Float32Array(channels);
  const mean = (ws[i++] as Weight).data;
  const variance = (ws[i++] as Weight).data;
  const name = layer.name;
  const data = input.shape.length === 4 ? ctx.nchw(input) : ctx.tf(input);
  const out = g.op(
    'BatchNormalization',
    [
      data,
      g.floatConst(`${name}_gamma`, gamma),
      g.floatConst(`${name}_beta`, beta),
      g.floatConst(`${name}_mean`, mean),
      g.floatConst(`${name}_var`, variance),
    ],
    name,
    { epsilon: { float: c.epsilon as number } },
  );
  return [{ name: out, shape: input.shape, layout: input.shape.length === 4 ? 'nchw' : 'tf' }];
};

const relu: LayerConverter = (ctx, layer, [x]) => {
  const c = layer.getConfig();
  const input = x as Value;
  const g = ctx.graph;
  if (c.maxValue == null) return [{ ...input, name: g.op('Relu', [input.name], layer.name) }];
  const clip = g.op(
    'Clip',
    [
      input.name,
      g.floatScalar(`${layer.name}_min`, 0),
      g.floatScalar(`${layer.name}_max`, c.maxValue as number),
    ],
    layer.name,
  );
  return [{ ...input, name: clip }];
};

const simpleUnary =
  (opType: string, attrs: (c: Config) => Record<string, { float: number }>): LayerConverter =>
  (ctx, layer, [x]) => {
    const input = x as Value;
    return [{ ...input, name: ctx.graph.op(opType, [input.name], layer.name, attrs(layer.getConfig())) }];
  };

const activation: LayerConverter = (ctx, layer, [x]) => [
  emitActivation(ctx, layer.getConfig().activation as string, x as Value, layer.name),
];

const softmaxLayer: LayerConverter = (ctx, layer, [x]) => {
  const input = x as Value;
  const axis = layer.getConfig().axis as number | number[];
  if (Array.isArray(axis) && axis.length !== 1)
    throw new Error(`softmax over several axes (${axis}) has no single ONNX Softmax`);
  const a = Array.isArray(axis) ? (axis[0] as number) : axis;
  return [
    { ...input, name: ctx.graph.op('Softmax', [input.name], layer.name, { axis: ctx.axis(input, a) }) },
  ];
};

const identity: LayerConverter = (_ctx, _layer, inputs) => [first(inputs)];

const zeroPadding2d: LayerConverter = (ctx, layer, [x], [outShape]) => {
  const [[top, bottom], [left, right]] = layer.getConfig().padding as [[number, number], [number, number]];
  const g = ctx.graph;
  const out = g.op(
    'Pad',
    [ctx.nchw(x as Value), g.int64Const(`${layer.name}_pads`, [0, 0, top, left, 0, 0, bottom, right])],
    layer.name,
    { mode: 'constant' },
  );
  return [{ name: out, shape: outShape as Shape, layout: 'nchw' }];
};

const pooling =
  (opType: 'MaxPool' | 'AveragePool'): LayerConverter =>
  (ctx, layer, [x], [outShape]) => {
    const c = layer.getConfig();
    const input = x as Value;
    const kernel = pair(c.poolSize, [2, 2]);
    const strides = pair(c.strides, kernel);
    // AveragePool's default count_include_pad=0 matches tf: padded cells are not counted.
    const out = ctx.graph.op(opType, [ctx.nchw(input)], layer.name, {
      kernel_shape: kernel,
      strides,
      ...padAttrs(c.padding as string, input, kernel, strides),
    });
    return [{ name: out, shape: outShape as Shape, layout: 'nchw' }];
  };

const globalPooling =
  (opType: 'GlobalAveragePool' | 'GlobalMaxPool'): LayerConverter =>
  (ctx, layer, [x], [outShape]) => {
    const g = ctx.graph;
    const pooled = g.op(opType, [ctx.nchw(x as Value)], layer.name);
    if ((outShape as Shape).length === 4) return [{ name: pooled, shape: outShape as Shape, layout: 'nchw' }];
    return [
      {
        name: g.op('Flatten', [pooled], `${layer.name}_flatten`, { axis: 1 }),
        shape: outShape as Shape,
        layout: 'tf',
      },
    ];
  };

const dense: LayerConverter = (ctx, layer, [x], [outShape]) => {
  const c = layer.getConfig();
  const g = ctx.graph;
  const input = x as Value;
  const ws = weights(layer);
  const kernel = first(ws);
  const w = g.addInitializer(`${layer.name}_W`, kernel.shape, kernel.data);
  const bias =
    c.useBias && ws[1]
      ? g.addInitializer(`${layer.name}_B`, (ws[1] as Weight).shape, (ws[1] as Weight).data)
      : undefined;
  let out: string;
  if (input.shape.length === 2) {
    out = g.op('Gemm', bias ? [input.name, w, bias] : [input.name, w], layer.name);
  } else {
    const product = g.op('MatMul', [ctx.tf(input), w], bias ? `${layer.name}_matmul` : layer.name);
    out = bias ? g.op('Add', [product, bias], layer.name) : product;
  }
  return [
    emitActivation(
      ctx,
      c.activation as string,
      { name: out, shape: outShape as Shape, layout: 'tf' },
      layer.name,
    ),
  ];
};

const flatten: LayerConverter = (ctx, layer, [x], [outShape]) => {
  const input = x as Value;
  if (input.shape.length === 2) return [input];
  return [
    {
      name: ctx.graph.op('Flatten', [ctx.tf(input)], layer.name, { axis: 1 }),
      shape: outShape as Shape,
      layout: 'tf',
    },
  ];
};

const reshape: LayerConverter = (ctx, layer, [x], [outShape]) => {
  const target = layer.getConfig().targetShape as number[];
  const g = ctx.graph;
  // 0 copies the batch dimension from the input.
  const out = g.op(
    'Reshape',
    [ctx.tf(x as Value), g.int64Const(`${layer.name}_shape`, [0, ...target])],
    layer.name,
  );
  return [{ name: out, shape: outShape as Shape, layout: 'tf' }];
};

const permute: LayerConverter = (ctx, layer, [x], [outShape]) => {
  const dims = layer.getConfig().dims as number[];
  return [
    {
      name: ctx.graph.op('Transpose', [ctx.tf(x as Value)], layer.name, { perm: [0, ...dims] }),
      shape: outShape as Shape,
      layout: 'tf',
    },
  ];
};

const rescaling: LayerConverter = (ctx, layer, [x]) => {
  const c = layer.getConfig();
  const g = ctx.graph;
  const input = x as Value;
  const scaled = g.op(
    'Mul',
    [input.name, g.floatScalar(`${layer.name}_scale`, c.scale as number)],
    `${layer.name}_mul`,
  );
  const out = g.op(
    'Add',
    [scaled, g.floatScalar(`${layer.name}_offset`, (c.offset as number) ?? 0)],
    layer.name,
  );
  return [{ ...input, name: out }];
};

/** Gives all rank-4 inputs one layout (NCHW if any already is) so elementwise ops line up. */
function unify(ctx: ConvertContext, inputs: Value[]): { names: string[]; layout: Value['layout'] } {
  const layout = inputs.some((v) => v.layout === 'nchw') ? 'nchw' : 'tf';
  return {
    names: inputs.map((v) => (layout === 'nchw' && v.shape.length === 4 ? ctx.nchw(v) : ctx.tf(v))),
    layout,
  };
}

const merge =
  (opType: 'Add' | 'Mul' | 'Max' | 'Min' | 'Mean'): LayerConverter =>
  (ctx, layer, inputs, [outShape]) => {
    const { names, layout } = unify(ctx, inputs);
    const g = ctx.graph;
    let out: string;
    if (opType === 'Add' || opType === 'Mul') {
      out = names[0] as string;
      for (let i = 1; i < names.length; i++)
        out = g.op(
          opType,
          [out, names[i] as string],
          i === names.length - 1 ? layer.name : `${layer.name}_${i}`,
        );
    } else {
      out = g.op(opType, names, layer.name);
    }
    return [{ name: out, shape: outShape as Shape, layout }];
  };

const concatenate: LayerConverter = (ctx, layer, inputs, [outShape]) => {
  const { names, layout } = unify(ctx, inputs);
  const axis = layer.getConfig().axis as number;
  const probe: Value = { name: '', shape: outShape as Shape, layout };
  return [
    {
      name: ctx.graph.op('Concat', names, layer.name, { axis: ctx.axis(probe, axis) }),
      shape: outShape as Shape,
      layout,
    },
  ];
};

/** tfjs class name → converter. Anything missing is reported as unsupported before conversion starts. */
export const LAYER_CONVERTERS: Record<string, LayerConverter> = {
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
  BatchNormalization: batchNorm,
  ReLU: relu,
  LeakyReLU: simpleUnary('LeakyRelu', (c) => ({ alpha: { float: c.alpha as number } })),
  ELU: simpleUnary('Elu', (c) => ({ alpha: { float: c.alpha as number } })),
  ThresholdedReLU: simpleUnary('ThresholdedRelu', (c) => ({ alpha: { float: c.theta as number } })),
  Activation: activation,
  Softmax: softmaxLayer,
  ZeroPadding2D: zeroPadding2d,
  MaxPooling2D: pooling('MaxPool'),
  AveragePooling2D: pooling('AveragePool'),
  GlobalAveragePooling2D: globalPooling('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPooling('GlobalMaxPool'),
  Dense: dense,
  Flatten: flatten,
  Reshape: reshape,
  Permute: permute,
  Rescaling: rescaling,
  Dropout: identity,
  SpatialDropout1D: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  Add: merge('Add'),
  Multiply: merge('Mul'),
  Maximum: merge('Max'),
  Minimum: merge('Min'),
  Average: merge('Mean'),
  Concatenate: concatenate,
};

/** Why a supported class still can't be converted with this config (channels_first, odd BN axis…), or null. */
export function unsupportedConfig(layer: tf.layers.Layer): string | null {
  const c = layer.getConfig();
  if (!notChannelsFirst(c)) return 'dataFormat channelsFirst';
  if (layer.getClassName() === 'BatchNormalization') {
    const rank = layer.inboundNodes[0]?.inputTensors[0]?.shape.length ?? 0;
    const axis = c.axis as number;
    if (!(rank === 2 || rank === 4) || !(axis === -1 || axis === rank - 1))
      return `axis ${axis} on rank ${rank}`;
  }
  return null;
}
