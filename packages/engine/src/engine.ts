import type * as tf from '@tensorflow/tfjs';

export type EngineKind = 'onnx' | 'tfjs';

/** tfjs backends the tfjs engine can be pinned to (default: selectTfjsBackend('forward')). */
export type TfjsBackend = 'wasm' | 'cpu' | 'node' | 'node-gpu';

export interface EngineOptions {
  kind: EngineKind;
  /** onnx: path to a .onnx file or its bytes; tfjs: path to model.json (or file:// URL) or a loaded LayersModel. */
  model: string | Uint8Array | tf.LayersModel;
  /** ONNX Runtime intra-op threads; 0 or undefined = the CPUs this process may use (cpuBudget). */
  threads?: number;
  /** tfjs only: pin a backend instead of the automatic choice. */
  backend?: TfjsBackend;
  /** Images per internal run; larger batches are split (bounds memory). Default 64. */
  maxBatch?: number;
  /** Run one zero image at creation so the first real request is not slow (default true). */
  warmUp?: boolean;
  /**
   * Names of the model outputs `predict` returns, side by side per image in this order (e.g.
   * `['probabilities', 'embedding']`); default: the first output only. A name the model lacks is a UsageError.
   */
  outputs?: readonly string[];
}

/** One output of a model: its name and floats per image. */
export interface EngineOutput {
  name: string;
  size: number;
}

/**
 * One forward pass interface over ONNX Runtime and tfjs. Input: `n` images NHWC float32,
 * already preprocessed per the preprocess spec, concatenated. Output: `n * outputSize` floats:
 * per image, the selected `outputs` side by side (`splitOutputs` names them).
 */
export interface Engine {
  readonly kind: EngineKind;
  /** Per-image input shape [height, width, channels]. */
  readonly inputShape: readonly number[];
  /** Floats per image `predict` returns (the sizes of `outputs` added up). */
  readonly outputSize: number;
  /** What `predict` returns per image, in order (EngineOptions.outputs). */
  readonly outputs: readonly EngineOutput[];
  /** Every output the model has. */
  readonly available: readonly EngineOutput[];
  /** What runs the model, e.g. 'onnxruntime-node 1.23.0 cpu (2 threads)' or 'tfjs wasm'. */
  readonly description: string;
  predict(batch: Float32Array, n: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}
