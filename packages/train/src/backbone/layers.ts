import { UsageError } from '@plantid/core';
import * as tf from '@tensorflow/tfjs';

export type Layer = tf.layers.Layer;
type SymbolicTensor = tf.SymbolicTensor;

export function isContainer(layer: Layer): layer is tf.LayersModel {
  return layer instanceof tf.LayersModel;
}

/** Every non-container layer, depth-first through nested Sequential/functional models, with the model holding it. */
export function flattenLayers(model: tf.LayersModel): { layer: Layer; container: tf.LayersModel }[] {
  const out: { layer: Layer; container: tf.LayersModel }[] = [];
  for (const layer of model.layers) {
    if (isContainer(layer)) out.push(...flattenLayers(layer));
    else out.push({ layer, container: model });
  }
  return out;
}

function firstOutputShape(layer: Layer): (number | null)[] | undefined {
  const node = layer.inboundNodes[0];
  const shape = node?.outputTensors[0]?.shape;
  return shape as (number | null)[] | undefined;
}

/** Layers whose output is a feature map (rank 4: batch, height, width, channels): where a backbone can be cut. */
export function spatialLayers(model: tf.LayersModel): { layer: Layer; container: tf.LayersModel }[] {
  return flattenLayers(model).filter(
    ({ layer }) => layer.getClassName() !== 'InputLayer' && firstOutputShape(layer)?.length === 4,
  );
}

/** A feature map in height or width (unknown counts: a backbone taking any size). */
function hasSpatialExtent(shape: (number | null)[] | undefined): boolean {
  return shape?.length === 4 && (shape[1] == null || shape[1] > 1 || shape[2] == null || shape[2] > 1);
}

/** Layers a classifier on top of a feature map is made of; anything else after the cut makes `auto` unsure. */
const CLASSIFIER_LAYERS = new Set([
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'AveragePooling2D',
  'MaxPooling2D',
  'Flatten',
  'Reshape',
  'Dropout',
  'SpatialDropout2D',
  'Dense',
  'Conv2D',
  'Activation',
  'ReLU',
  'Softmax',
  'BatchNormalization',
]);

/**
 * `auto`: the last layer whose output still has spatial extent > 1, i.e. the cut sits before
 * global pooling / flatten / whatever collapses the map (a full ImageNet model's pooling, 1×1
 * `conv_preds` and softmax are left out; squeeze-excite pooling inside blocks is not the end
 * because spatial layers follow it). When what follows is not a classifier, it refuses and lists
 * the candidates rather than guess.
 */
function autoFeatureLayer(
  model: tf.LayersModel,
  candidates: { layer: Layer; container: tf.LayersModel }[],
): { layer: Layer; container: tf.LayersModel } {
  const all = flattenLayers(model);
  const index = all.findLastIndex(
    ({ layer }) => layer.getClassName() !== 'InputLayer' && hasSpatialExtent(firstOutputShape(layer)),
  );
  const names = candidates.map((c) => c.layer.name);
  const shown = names.length > 12 ? ['…', ...names.slice(-12)] : names;
  if (index < 0)
    throw new UsageError('featureLayer auto found no layer with a feature map larger than 1×1', {
      where: 'model.featureLayer',
      hint: `name the layer to cut at, one of ${names.length} spatial layers: ${shown.join(', ')}`,
    });
  const unknown = all.slice(index + 1).filter(({ layer }) => !CLASSIFIER_LAYERS.has(layer.getClassName()));
  if (unknown.length)
    throw new UsageError(
      `featureLayer auto is unsure where the classifier starts: after '${all[index]!.layer.name}' come ${unknown
        .slice(0, 3)
        .map(({ layer }) => `${layer.name} (${layer.getClassName()})`)
        .join(', ')}`,
      {
        where: 'model.featureLayer',
        hint: `name the layer to cut at, one of ${names.length} spatial layers: ${shown.join(', ')}`,
      },
    );
  return all[index]!;
}

/**
 * The layer to cut at: `auto` (see autoFeatureLayer); otherwise by name, any layer with a rank-4 output.
 * Throws a UsageError listing the candidates when the name is unknown or not spatial.
 */
export function findFeatureLayer(
  model: tf.LayersModel,
  name: string,
): { layer: Layer; container: tf.LayersModel } {
  const candidates = spatialLayers(model);
  if (candidates.length === 0) {
    throw new UsageError('the backbone has no layer with a spatial (rank-4) output to cut at', {
      where: 'model.weights',
      hint: 'use a convolutional backbone such as MobileNet',
    });
  }
  if (name === 'auto') return autoFeatureLayer(model, candidates);
  const found = candidates.find((c) => c.layer.name === name);
  if (found) return found;
  const names = candidates.map((c) => c.layer.name);
  const shown = names.length > 12 ? ['…', ...names.slice(-12)] : names;
  const other = flattenLayers(model).some((c) => c.layer.name === name);
  throw new UsageError(
    other ? `layer '${name}' has no spatial output to pool` : `layer '${name}' is not in the backbone`,
    {
      where: 'model.featureLayer',
      hint: `use auto or one of ${names.length} spatial layers: ${shown.join(', ')}`,
    },
  );
}

/** The [height, width, channels] the backbone expects, from its first input. */
export function inputShape(model: tf.LayersModel): (number | null)[] {
  return (model.inputs[0]?.shape ?? []).slice(1) as (number | null)[];
}

/** Output tensor of a layer's first call (layers called once, as in a backbone). */
export function outputOf(layer: Layer): SymbolicTensor {
  const t = layer.inboundNodes[0]?.outputTensors[0];
  if (!t) throw new Error(`layer '${layer.name}' was never called`);
  return t as SymbolicTensor;
}

/**
 * Checks the container holding the feature layer sees the outer model's input unchanged (it is
 * the first layer of every enclosing Sequential), so cutting inside it keeps the preprocessing.
 */
export function assertContainerTakesModelInput(model: tf.LayersModel, container: tf.LayersModel): void {
  let current: Layer = container;
  const chain: tf.LayersModel[] = [];
  const parentOf = (target: Layer, root: tf.LayersModel): tf.LayersModel | undefined => {
    for (const l of root.layers) {
      if (l === target) return root;
      if (isContainer(l)) {
        const p = parentOf(target, l);
        if (p) return p;
      }
    }
    return undefined;
  };
  while (current !== model) {
    const parent = parentOf(current, model);
    if (!parent) break;
    const firstReal = parent.layers.find((l) => l.getClassName() !== 'InputLayer');
    if (firstReal !== current) {
      throw new UsageError(
        `the feature layer sits in '${current.name}', which is not the first layer of '${parent.name}'`,
        {
          where: 'model.featureLayer',
          hint: 'cut at a layer of the first (backbone) part of the model',
        },
      );
    }
    chain.push(parent);
    current = parent;
  }
}
