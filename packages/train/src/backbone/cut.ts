import { UsageError } from '@plantid/core';
import * as tf from '@tensorflow/tfjs';
import { matMulFast } from '../matmul.js';
import {
  assertContainerTakesModelInput,
  findFeatureLayer,
  inputShape,
  type Layer,
  outputOf,
} from './layers.js';

type SymbolicTensor = tf.SymbolicTensor;

export type Pooling = 'avg' | 'max' | 'avgmax';

/** A backbone cut at its feature layer, then globally pooled. */
export interface FeatureExtractor {
  /** input [null, h, w, 3] → pooled features [null, dim]. */
  model: tf.LayersModel;
  featureLayer: string;
  pooling: Pooling;
  /** Applies the (weightless) pooling layers to a feature map; reused by the fine-tuning top. */
  pool: (features: SymbolicTensor) => SymbolicTensor;
  dim: number;
  /** [h, w, channels] the backbone expects (null where any size works). */
  inputShape: (number | null)[];
  /** The layers between the input and the feature layer, in topological order (the container's order). */
  layers: Layer[];
}

/**
 * Global pooling of a feature map: average, max, or both concatenated (fastai's concat pooling,
 * twice the features). The layers are created once and may be applied to several maps.
 */
export function poolingLayers(pooling: Pooling): (features: SymbolicTensor) => SymbolicTensor {
  const avg = tf.layers.globalAveragePooling2d({ name: 'features_avg_pool' });
  const max = tf.layers.globalMaxPooling2d({ name: 'features_max_pool' });
  const concat = tf.layers.concatenate({ name: 'features_avgmax', axis: -1 });
  return (features) => {
    if (pooling === 'avg') return avg.apply(features) as SymbolicTensor;
    if (pooling === 'max') return max.apply(features) as SymbolicTensor;
    return concat.apply([
      avg.apply(features) as SymbolicTensor,
      max.apply(features) as SymbolicTensor,
    ]) as SymbolicTensor;
  };
}

/** Cuts `backbone` at `featureLayer` (or `auto`) and adds global pooling. */
export function buildFeatureExtractor(
  backbone: tf.LayersModel,
  featureLayer: string,
  pooling: Pooling = 'avg',
): FeatureExtractor {
  const { layer, container } = findFeatureLayer(backbone, featureLayer);
  assertContainerTakesModelInput(backbone, container);
  const pool = poolingLayers(pooling);
  const features = outputOf(layer);
  const pooled = pool(features);
  const model = tf.model({ inputs: container.inputs, outputs: pooled, name: 'backbone' });
  const dim = pooled.shape[1];
  if (typeof dim !== 'number')
    throw new UsageError(`feature layer '${layer.name}' has no fixed channel count`, {
      where: 'model.featureLayer',
    });
  const index = container.layers.indexOf(layer);
  return {
    model,
    featureLayer: layer.name,
    pooling,
    pool,
    dim,
    inputShape: inputShape(container),
    layers: container.layers.slice(0, index + 1),
  };
}

/** Block id of a MobileNet layer name: `block_16_*` (V2; the stem counts as block 0), `conv_dw_13*` / `conv_pw_13*` (V1). */
export function blockOf(name: string): number | undefined {
  const v2 = /^block_(\d+)_/.exec(name);
  if (v2) return Number(v2[1]);
  const v1 = /^conv_(?:dw|pw|pad)_(\d+)/.exec(name);
  if (v1) return Number(v1[1]);
  return undefined;
}

/** A backbone split for fine-tuning: a frozen bottom (input → boundary activations) and a trainable top (boundary → pooled features). */
export interface BackboneSplit {
  /** Layer whose output feeds the top: the bottom's output (e.g. block_16_project_BN). */
  boundaryLayer: string;
  /** [h, w, c] of the boundary activations. */
  boundaryShape: number[];
  /** Layers of the top, shared with the extractor; BatchNorm among them stays frozen. */
  topLayers: Layer[];
  /** Boundary activations → pooled features, eagerly, in inference mode (BatchNorm uses its moving statistics). */
  forward: (x: tf.Tensor) => tf.Tensor2D;
  /** Names of the unfrozen groups, e.g. ['Conv_1'] or ['block_16', 'Conv_1']. */
  blocks: string[];
  /** True when every top layer trains with dense kernels only (1×1 convolutions, BatchNorm, activations, adds), so wasm can run it. */
  denseOnly: boolean;
}

const WEIGHTLESS_OR_DENSE = new Set(['BatchNormalization', 'ReLU', 'Activation', 'Add', 'InputLayer']);

function isPointwise(layer: Layer): boolean {
  if (layer.getClassName() !== 'Conv2D') return false;
  const c = layer.getConfig();
  const ones = (v: unknown) => (Array.isArray(v) ? v : [v, v]).every((d) => d === 1);
  return (
    ones(c.kernelSize ?? c.kernel_size) && ones(c.strides) && ones(c.dilationRate ?? c.dilation_rate ?? 1)
  );
}

/** A 1×1 convolution as a matMul over pixels, with matMulFast's gradient (tfjs-cpu's Conv2DBackpropFilter is ~100× slower). */
function pointwiseConv(layer: Layer, x: tf.Tensor4D): tf.Tensor4D {
  const [kernel, bias] = layer.weights.map((w) => w.read());
  const [n, h, w, c] = x.shape;
  const cout = kernel!.shape[3]!;
  let y = matMulFast(
    tf.reshape(x, [n * h * w, c]),
    tf.reshape(kernel!, [c, cout]) as tf.Tensor2D,
  ) as tf.Tensor;
  if (bias && layer.weights.length > 1) y = tf.add(y, bias);
  const activation = layer.getConfig().activation as string | undefined;
  if (activation === 'relu') y = tf.relu(y);
  else if (activation === 'relu6') y = tf.relu6(y);
  else if (activation && activation !== 'linear')
    throw new Error(`pointwise conv '${layer.name}' has activation ${activation}`);
  return tf.reshape(y, [n, h, w, cout]);
}

function poolEager(pooling: Pooling, features: tf.Tensor4D): tf.Tensor2D {
  if (pooling === 'avg') return tf.mean(features, [1, 2]);
  if (pooling === 'max') return tf.max(features, [1, 2]);
  return tf.concat([tf.mean(features, [1, 2]), tf.max(features, [1, 2])], -1) as tf.Tensor2D;
}

/**
 * Splits the extractor so the top `blocks` groups can be fine-tuned on cached boundary activations.
 * Groups are MobileNet blocks by layer name (V2 `block_N_*`, V1 `conv_*_N`); the layers after the
 * last block (V2's Conv_1 → out_relu) are the topmost group. The boundary must be a single tensor.
 */
export function splitForFinetune(extractor: FeatureExtractor, blocks: number): BackboneSplit {
  const layers = extractor.layers.filter((l) => l.getClassName() !== 'InputLayer');
  const groupOf = (l: Layer, i: number): string => {
    const b = blockOf(l.name);
    if (b !== undefined) return /^block_/.test(l.name) ? `block_${b}` : `conv_${b}`;
    const lastBlock = layers.findLastIndex((x) => blockOf(x.name) !== undefined);
    return lastBlock >= 0 && i > lastBlock ? layers[lastBlock + 1]!.name : '';
  };
  const groups = [...new Set(layers.map(groupOf).filter((g) => g !== ''))];
  if (groups.length === 0) {
    throw new UsageError('cannot find blocks in this backbone (layer names like block_16_* or conv_dw_13*)', {
      where: 'train.finetune.blocks',
      hint: 'set train.finetune.epochs: 0 for backbones other than MobileNet V1/V2',
    });
  }
  if (blocks > groups.length) {
    throw new UsageError(`the backbone has ${groups.length} blocks, cannot unfreeze ${blocks}`, {
      where: 'train.finetune.blocks',
    });
  }
  const chosen = groups.slice(-blocks);
  const first = layers.findIndex((l, i) => groupOf(l, i) === chosen[0]);
  const topLayers = layers.slice(first);
  const topSet = new Set(topLayers);
  const boundaryTensors = new Map<number, SymbolicTensor>();
  for (const layer of topLayers) {
    for (const t of layer.inboundNodes[0]?.inputTensors ?? []) {
      if (!topSet.has(t.sourceLayer as Layer)) boundaryTensors.set(t.id, t as SymbolicTensor);
    }
  }
  if (boundaryTensors.size !== 1) {
    throw new UsageError(`${chosen[0]} takes ${boundaryTensors.size} tensors from below; cannot cut there`, {
      where: 'train.finetune.blocks',
      hint: 'choose a different number of blocks',
    });
  }
  const boundary = [...boundaryTensors.values()][0]!;
  const featureId = outputOf(layers.find((l) => l.name === extractor.featureLayer)!).id;
  const forward = (x: tf.Tensor): tf.Tensor2D =>
    tf.tidy(() => {
      const values = new Map<number, tf.Tensor>([[boundary.id, x]]);
      for (const layer of topLayers) {
        const node = layer.inboundNodes[0]!;
        const inputs = node.inputTensors.map((t) => values.get(t.id)!);
        const out = isPointwise(layer)
          ? pointwiseConv(layer, inputs[0] as tf.Tensor4D)
          : (layer.apply(inputs.length === 1 ? inputs[0]! : inputs, { training: false }) as tf.Tensor);
        values.set(node.outputTensors[0]!.id, out);
      }
      return poolEager(extractor.pooling, values.get(featureId) as tf.Tensor4D);
    });
  return {
    boundaryLayer: boundary.sourceLayer.name,
    boundaryShape: boundary.shape.slice(1) as number[],
    topLayers,
    forward,
    blocks: chosen,
    denseOnly: topLayers.every((l) => isPointwise(l) || WEIGHTLESS_OR_DENSE.has(l.getClassName())),
  };
}
