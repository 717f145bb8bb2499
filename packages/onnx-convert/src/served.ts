import { MODEL_LAYERS, MODEL_OUTPUTS } from '@plantid/core';
import type * as tf from '@tensorflow/tfjs';
import { findLayer, type OnnxExportOptions } from './convert.js';

/**
 * The outputs of the graph train writes for evaluate and export puts in bundles: `probabilities`
 * (the model's own output), `embedding` (the features its head reads) and `logits` (the head's
 * last Dense before softmax), which the open-set scores read.
 */
export const SERVED_OUTPUTS = {
  outputNames: [MODEL_OUTPUTS.probabilities],
  extraOutputs: [
    { name: MODEL_OUTPUTS.embedding, layer: MODEL_LAYERS.head, at: 'input' },
    { name: MODEL_OUTPUTS.logits, layer: MODEL_LAYERS.classifier, at: 'preActivation' },
  ],
} as const satisfies Pick<OnnxExportOptions, 'outputNames' | 'extraOutputs'>;

/** SERVED_OUTPUTS for `model`, keeping only the extra outputs whose layers it has (a model not built by train has none). */
export function servedOutputs(
  model: tf.LayersModel,
): Pick<OnnxExportOptions, 'outputNames' | 'extraOutputs'> {
  return {
    outputNames: SERVED_OUTPUTS.outputNames,
    extraOutputs: SERVED_OUTPUTS.extraOutputs.filter((o) => findLayer(model, o.layer) !== undefined),
  };
}
