import * as tf from '@tensorflow/tfjs';
import type { BackboneSplit } from './backbone/cut.js';
import type { Head } from './head.js';
import type { Trainable } from './samples.js';

const isBatchNorm = (layer: tf.layers.Layer) => layer.getClassName() === 'BatchNormalization';

/**
 * Phase 2 model: the backbone's top blocks (from cached boundary activations) plus the head.
 * The top always runs with training=false, so BatchNorm uses and keeps its moving statistics
 * (tfjs-layers would update them inside fit() even for frozen layers); BatchNorm's gamma/beta stay
 * frozen too. Only the top's convolution kernels/biases and the head are trained.
 */
export function finetuneModel(split: BackboneSplit, head: Head): Trainable {
  const topVariables = split.topLayers
    .filter((l) => !isBatchNorm(l))
    .flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
  return {
    variables: [...topVariables, ...head.variables],
    logits(x, dropoutSeed) {
      return tf.tidy(() => {
        return head.logits(split.forward(x), dropoutSeed);
      });
    },
  };
}

/** The head alone on cached pooled features (phase 1). */
export function headModel(head: Head): Trainable {
  return {
    variables: head.variables,
    logits: (x, dropoutSeed) => head.logits(x as tf.Tensor2D, dropoutSeed),
  };
}
