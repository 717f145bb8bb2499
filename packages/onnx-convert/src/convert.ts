import { UsageError } from '@plantid/core';
import * as tf from '@tensorflow/tfjs';
import { ConvertContext, type Shape, type Value } from './context.js';
import { GraphBuilder } from './graph.js';
import { LAYER_CONVERTERS, unsupportedConfig } from './layers.js';
import { optimizeGraph } from './optimize.js';
import { guardPadMaxPool } from './pad-maxpool.js';
import { encodeModel } from './proto.js';

export interface OnnxExportOptions {
  /** ONNX opset, 13–17 (default 13). */
  opset?: number;
  /** Graph name (default: the model's name). */
  name?: string;
  /**
   * Cut the model at this layer (searched through nested models, e.g. 'out_relu'):
   * its output becomes the graph output. Used to export a backbone for embeddings.
   */
  outputLayer?: string;
  /** Global pooling appended after the output (rank-4 outputs only), e.g. 'avg' for embeddings. */
  pooling?: 'avg' | 'max';
  /** Fold BatchNorm and zero padding into convolutions (default true). */
  optimize?: boolean;
  /** Names of the graph outputs, in the model's output order (default: unique names from the layers). */
  outputNames?: readonly string[];
  /** More graph outputs taken from inside the model, after the model's own (see ExtraOutput). */
  extraOutputs?: readonly ExtraOutput[];
}

/**
 * A graph output taken from a layer of the model (nested models are searched): its `input`
 * (e.g. the features a classifier head reads), its `output`, or its output before its activation
 * (`preActivation`, e.g. the logits of a softmax Dense layer).
 */
export interface ExtraOutput {
  name: string;
  layer: string;
  at: 'input' | 'output' | 'preActivation';
}

type SymbolicTensor = tf.SymbolicTensor;
type Layer = tf.layers.Layer;

const PASS_THROUGH = new Set(['InputLayer']);

function isContainer(layer: Layer): layer is tf.LayersModel {
  return layer instanceof tf.LayersModel;
}

/** Every layer (inside nested models too) whose output the requested outputs depend on. */
function reachableLayers(outputs: SymbolicTensor[]): Layer[] {
  const seen = new Set<Layer>();
  const visitedTensors = new Set<number>();
  const visit = (t: SymbolicTensor): void => {
    if (visitedTensors.has(t.id)) return;
    visitedTensors.add(t.id);
    const layer = t.sourceLayer as Layer;
    seen.add(layer);
    const node = layer.inboundNodes[t.nodeIndex];
    if (isContainer(layer)) for (const inner of layer.outputs) visit(inner);
    for (const input of node?.inputTensors ?? []) visit(input);
  };
  for (const t of outputs) visit(t);
  return [...seen];
}

/** Finds a layer by name, searching nested Sequential/functional models depth-first. */
export function findLayer(model: tf.LayersModel, name: string): Layer | undefined {
  for (const layer of model.layers) {
    if (layer.name === name) return layer;
    if (isContainer(layer)) {
      const inner = findLayer(layer, name);
      if (inner) return inner;
    }
  }
  return undefined;
}

function assertConvertible(layers: Layer[], modelName: string): void {
  const problems: string[] = [];
  for (const layer of layers) {
    const cls = layer.getClassName();
    if (isContainer(layer) || PASS_THROUGH.has(cls)) continue;
    if (!LAYER_CONVERTERS[cls]) {
      problems.push(`${cls} '${layer.name}'`);
      continue;
    }
    const why = unsupportedConfig(layer);
    if (why) problems.push(`${cls} '${layer.name}' (${why})`);
  }
  if (problems.length > 0) {
    throw new UsageError(
      `model '${modelName}' has layers the ONNX converter does not support: ${problems.join(', ')}`,
      {
        hint: `supported: ${Object.keys(LAYER_CONVERTERS).join(', ')}, nested Sequential/functional models`,
      },
    );
  }
}

/**
 * Converts a tfjs LayersModel to ONNX bytes. The graph takes NHWC float32 input exactly like
 * the tfjs model (a Transpose to NCHW sits inside) and returns the same outputs; convolution
 * 'same' padding is reproduced with explicit asymmetric pads. Throws UsageError listing every
 * unsupported layer (class and name) before converting anything.
 */
export function layersModelToOnnx(model: tf.LayersModel, options: OnnxExportOptions = {}): Uint8Array {
  const opset = options.opset ?? 13;
  if (!Number.isInteger(opset) || opset < 13 || opset > 17) {
    throw new UsageError(`opset ${opset} is not supported`, {
      where: 'options.opset',
      hint: 'use an ONNX opset from 13 to 17',
    });
  }
  let outputs = model.outputs;
  if (options.outputLayer) {
    const layer = findLayer(model, options.outputLayer);
    if (!layer) {
      throw new UsageError(`layer '${options.outputLayer}' not found in model '${model.name}'`, {
        where: 'outputLayer',
        hint: 'name a layer of the model (nested models are searched too)',
      });
    }
    outputs = [layer.inboundNodes[0]?.outputTensors[0] as SymbolicTensor];
  }
  assertConvertible(reachableLayers(outputs), model.name);

  if (options.outputNames && options.outputNames.length !== outputs.length) {
    throw new UsageError(
      `outputNames has ${options.outputNames.length} names for the model's ${outputs.length} outputs`,
      { where: 'options.outputNames' },
    );
  }
  const graph = new GraphBuilder();
  const ctx = new ConvertContext(graph);
  const results = convertScope(ctx, outputs, new Map());
  const addOutput = (value: Value, name: string) => {
    graph.nodes.push({
      opType: 'Identity',
      name: `${name}_identity`,
      inputs: [ctx.tf(value)],
      outputs: [name],
      attributes: {},
    });
    graph.outputs.push({ name, shape: value.shape });
  };
  results.forEach((value, i) => {
    let out = value;
    if (options.pooling) out = appendPooling(ctx, out, options.pooling);
    const layerName = outputs[i]?.sourceLayer.name ?? `output_${i}`;
    const name = graph.uniqueName(
      options.outputNames?.[i] ?? (options.pooling ? `${layerName}_${options.pooling}_pool` : layerName),
    );
    addOutput(out, name);
  });
  for (const extra of options.extraOutputs ?? [])
    addOutput(extraValue(ctx, extra, model.name), graph.uniqueName(extra.name));
  if (options.optimize !== false) optimizeGraph(graph);
  guardPadMaxPool(graph);
  const proto = graph.toModel({
    name: options.name ?? model.name,
    opset,
    producerVersion: tf.version.tfjs,
    docString: `Converted from tfjs LayersModel '${model.name}' by plantid.`,
  });
  return encodeModel(proto);
}

function extraValue(ctx: ConvertContext, extra: ExtraOutput, modelName: string): Value {
  const values = ctx.layers.get(extra.layer);
  const value =
    extra.at === 'input'
      ? values?.inputs[0]
      : extra.at === 'output'
        ? values?.outputs[0]
        : values?.preActivation;
  if (!value) {
    throw new UsageError(
      values
        ? `layer '${extra.layer}' has no ${extra.at} value for output '${extra.name}'`
        : `output '${extra.name}': layer '${extra.layer}' is not on the path to the model's outputs in '${modelName}'`,
      { where: 'options.extraOutputs', hint: 'name a layer the converted outputs depend on' },
    );
  }
  return value;
}

function appendPooling(ctx: ConvertContext, value: Value, pooling: 'avg' | 'max'): Value {
  if (value.shape.length !== 4) {
    throw new UsageError(`pooling needs a rank-4 output, got shape [${value.shape.join(', ')}]`, {
      where: 'options.pooling',
    });
  }
  const g = ctx.graph;
  const pooled = g.op(
    pooling === 'avg' ? 'GlobalAveragePool' : 'GlobalMaxPool',
    [ctx.nchw(value)],
    `${pooling}_pool`,
  );
  return {
    name: g.op('Flatten', [pooled], `${pooling}_pool_flatten`, { axis: 1 }),
    shape: [value.shape[0] ?? null, value.shape[3] ?? null],
    layout: 'tf',
  };
}

/**
 * Walks the symbolic graph back from `outputs`, emitting each layer call once. `bound` maps
 * the symbolic inputs of a nested model to the values its caller feeds; an unbound InputLayer
 * becomes a graph input.
 */
function convertScope(ctx: ConvertContext, outputs: SymbolicTensor[], bound: Map<number, Value>): Value[] {
  const memo = new Map<number, Value>(bound);
  const resolve = (t: SymbolicTensor): Value => {
    const known = memo.get(t.id);
    if (known) return known;
    const layer = t.sourceLayer as Layer;
    if (layer.getClassName() === 'InputLayer') {
      const name = ctx.graph.uniqueName(layer.name);
      ctx.graph.inputs.push({ name, shape: t.shape });
      const value: Value = { name, shape: t.shape, layout: 'tf' };
      memo.set(t.id, value);
      return value;
    }
    const node = layer.inboundNodes[t.nodeIndex];
    if (!node) throw new Error(`layer '${layer.name}' has no call #${t.nodeIndex}`);
    const inputs = node.inputTensors.map(resolve);
    const outs = emitLayer(
      ctx,
      layer,
      inputs,
      node.outputTensors.map((o) => o.shape as Shape),
    );
    ctx.noteLayer(layer.name, inputs, outs);
    for (const [i, o] of node.outputTensors.entries()) memo.set(o.id, outs[i] as Value);
    const value = memo.get(t.id);
    if (!value) throw new Error(`layer '${layer.name}' produced no output #${t.tensorIndex}`);
    return value;
  };
  return outputs.map(resolve);
}

function emitLayer(ctx: ConvertContext, layer: Layer, inputs: Value[], outputShapes: Shape[]): Value[] {
  if (isContainer(layer)) {
    const bound = new Map<number, Value>();
    for (const [i, t] of layer.inputs.entries()) bound.set(t.id, inputs[i] as Value);
    return convertScope(ctx, layer.outputs, bound);
  }
  const convert = LAYER_CONVERTERS[layer.getClassName()];
  if (!convert) throw new Error(`no converter for ${layer.getClassName()} '${layer.name}'`);
  return convert(ctx, layer, inputs, outputShapes);
}
