import { UsageError } from '@plantid/core';
import * as tf from '@tensorflow/tfjs';
import {
  assertContainerTakesModelInput,
  findFeatureLayer,
  inputShape,
  type Layer,
  outputOf,
} from './layers.js';

type SymbolicTensor = tf.SymbolicTensor;

/** A backbone cut at its feature layer, then globally average-pooled. */
export interface FeatureExtractor {
  /** input [null, h, w, 3] → pooled features [null, dim]. */
  model: tf.LayersModel;
  featureLayer: string;
  dim: number;
  /** [h, w, channels] the backbone expects (null where any size works). */
  inputShape: (number | null)[];
  /** The layers between the input and the feature layer, in topological order (the container's order). */
  layers: Layer[];
}

/** Cuts `backbone` at `featureLayer` (or `auto`) and adds global average pooling. */
export function buildFeatureExtractor(backbone: tf.LayersModel, featureLayer: string): FeatureExtractor {
  const { layer, container } = findFeatureLayer(backbone, featureLayer);
  assertContainerTakesModelInput(backbone, container);
  const pool = tf.layers.globalAveragePooling2d({ name: 'features_avg_pool' });
  const features = outputOf(layer);
  const pooled = pool.apply(features) as SymbolicTensor;
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
  /** Layer whose output feeds the top: the bottom's output (e.g. block_15_add). */
  boundaryLayer: string;
  /** [h, w, c] of the boundary activations. */
  boundaryShape: number[];
  /** Layers of the top, sharing weights with the extractor; BatchNorm among them stays frozen. */
  topLayers: Layer[];
  /** boundary activations [null, h, w, c] → pooled features, sharing the extractor's layers. */
  top: tf.LayersModel;
  /** Names of the blocks unfrozen, e.g. ['block_16'] (plus the layers after the last block). */
  blocks: string[];
}

/**
 * Splits the extractor so the top `blocks` blocks (and the layers after the last block, e.g.
 * Conv_1) can be fine-tuned on cached boundary activations. Only for backbones whose layer
 * names mark blocks (MobileNet V1/V2); the boundary must be a single tensor.
 */
export function splitForFinetune(extractor: FeatureExtractor, blocks: number): BackboneSplit {
  const layers = extractor.layers.filter((l) => l.getClassName() !== 'InputLayer');
  const ids = [...new Set(layers.map((l) => blockOf(l.name)).filter((b): b is number => b !== undefined))];
  if (ids.length === 0) {
    throw new UsageError('cannot find blocks in this backbone (layer names like block_16_* or conv_dw_13*)', {
      where: 'train.finetune.blocks',
      hint: 'set train.finetune.epochs: 0 for backbones other than MobileNet V1/V2',
    });
  }
  if (blocks > ids.length) {
    throw new UsageError(`the backbone has ${ids.length} blocks, cannot unfreeze ${blocks}`, {
      where: 'train.finetune.blocks',
    });
  }
  const chosen = ids.slice(-blocks);
  const first = layers.findIndex((l) => blockOf(l.name) === chosen[0]);
  const topLayers = layers.slice(first);
  const topSet = new Set(topLayers);
  const boundaryTensors = new Map<number, SymbolicTensor>();
  for (const layer of topLayers) {
    for (const t of layer.inboundNodes[0]?.inputTensors ?? []) {
      if (!topSet.has(t.sourceLayer as Layer)) boundaryTensors.set(t.id, t as SymbolicTensor);
    }
  }
  if (boundaryTensors.size !== 1) {
    throw new UsageError(
      `block ${chosen[0]} takes ${boundaryTensors.size} tensors from below; cannot cut there`,
      {
        where: 'train.finetune.blocks',
        hint: 'choose a different number of blocks',
      },
    );
  }
  const boundary = [...boundaryTensors.values()][0]!;
  const boundaryShape = boundary.shape.slice(1) as number[];
  const input = tf.input({ shape: boundaryShape, name: 'boundary_input' });
  const mapped = new Map<number, SymbolicTensor>([[boundary.id, input]]);
  // Replay the top layers on the new input; calling a layer again shares its weights.
  for (const layer of topLayers) {
    const node = layer.inboundNodes[0]!;
    const inputs = node.inputTensors.map((t) => mapped.get(t.id)!);
    const out = layer.apply(inputs.length === 1 ? inputs[0]! : inputs) as SymbolicTensor;
    mapped.set(node.outputTensors[0]!.id, out);
  }
  const pooledOut = extractor.model.outputs[0]!;
  const poolLayer = pooledOut.sourceLayer as Layer;
  const features = mapped.get(poolLayer.inboundNodes[0]!.inputTensors[0]!.id);
  if (!features) throw new Error('feature layer not reached from the boundary');
  const top = tf.model({
    inputs: input,
    outputs: poolLayer.apply(features) as SymbolicTensor,
    name: 'backbone_top',
  });
  const prefix = /^block_/.test(topLayers[0]!.name) ? 'block_' : 'conv_';
  return {
    boundaryLayer: boundary.sourceLayer.name,
    boundaryShape,
    topLayers,
    top,
    blocks: chosen.map((b) => `${prefix}${b}`),
  };
}
