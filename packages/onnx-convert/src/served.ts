import { MODEL_LAYERS, MODEL_OUTPUTS } from '@plantid/core';
import type { OnnxExportOptions } from './convert.js';

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
