import * as tf from '@tensorflow/tfjs';
import { matMulFast } from './matmul.js';

export interface HeadConfig {
  dropout: number;
  /** Units of an optional hidden ReLU layer; 0 = none. */
  hidden: number;
  classes: number;
  seed: number;
}

/**
 * Classifier head: dropout → [dense(hidden, relu) → dropout] → dense(classes, softmax).
 * Training runs `logits()` with dropout masks drawn from a per-step seed (tfjs' Dropout layer
 * reuses one mask when seeded); the exported model nests `model`, which holds the same Dense layers.
 */
export class Head {
  readonly denses: tf.layers.Layer[];
  /** dropout → [dense → dropout] → dense(softmax) as a Sequential: what the exported model nests. */
  readonly model: tf.Sequential;

  constructor(
    readonly inputDim: number,
    readonly config: HeadConfig,
  ) {
    const init = (k: number) => tf.initializers.glorotUniform({ seed: config.seed + k });
    this.denses = [];
    const layers: tf.layers.Layer[] = [
      tf.layers.dropout({ rate: config.dropout, name: 'head_dropout', inputShape: [inputDim] }),
    ];
    if (config.hidden > 0) {
      const hidden = tf.layers.dense({
        units: config.hidden,
        activation: 'relu',
        kernelInitializer: init(1),
        name: 'head_hidden',
      });
      this.denses.push(hidden);
      layers.push(hidden, tf.layers.dropout({ rate: config.dropout, name: 'head_hidden_dropout' }));
    }
    const output = tf.layers.dense({
      units: config.classes,
      activation: 'softmax',
      kernelInitializer: init(2),
      name: 'head_output',
    });
    this.denses.push(output);
    layers.push(output);
    // Built inside a Sequential so weights get scoped names (head_output/kernel) that survive save and load.
    this.model = tf.sequential({ layers, name: 'head' });
  }

  /** Trainable variables, in a fixed order (optimizer state is saved and restored by this order). */
  get variables(): tf.Variable[] {
    return this.denses.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
  }

  /** Logits for features x [n, inputDim]; with `dropoutSeed`, dropout is applied (training). */
  logits(x: tf.Tensor2D, dropoutSeed?: number): tf.Tensor2D {
    return tf.tidy(() => {
      let h: tf.Tensor2D = x;
      const drop = (t: tf.Tensor2D, k: number) =>
        dropoutSeed === undefined || this.config.dropout === 0
          ? t
          : (tf.dropout(t, this.config.dropout, undefined, dropoutSeed + k) as tf.Tensor2D);
      h = drop(h, 0);
      for (const [i, layer] of this.denses.entries()) {
        const [kernel, bias] = layer.trainableWeights.map((w) => w.read());
        h = tf.add(matMulFast(h, kernel as tf.Tensor2D), bias as tf.Tensor1D);
        if (i < this.denses.length - 1) h = drop(tf.relu(h), i + 1);
      }
      return h;
    });
  }

  /** The head applied after `features` (symbolic), for the exported model. */
  apply(features: tf.SymbolicTensor): tf.SymbolicTensor {
    return this.model.apply(features) as tf.SymbolicTensor;
  }
}

/**
 * Weighted categorical cross-entropy with label smoothing, from logits (Keras semantics:
 * targets (1 − ε)·onehot + ε/K, per-sample weight of its class, mean over the batch).
 */
export function smoothedCrossEntropy(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  smoothing: number,
  classWeights?: tf.Tensor1D,
): tf.Scalar {
  return tf.tidy(() => {
    const k = logits.shape[1];
    const onehot = tf.oneHot(labels, k).toFloat();
    const target = smoothing > 0 ? onehot.mul(1 - smoothing).add(smoothing / k) : onehot;
    const perSample = tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)), -1));
    const weighted = classWeights ? perSample.mul(tf.gather(classWeights, labels)) : perSample;
    return tf.mean(weighted) as tf.Scalar;
  });
}
