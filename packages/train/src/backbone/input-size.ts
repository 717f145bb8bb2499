import type * as tf from '@tensorflow/tfjs';

type Json = Record<string, unknown>;

/** Keras spells the input shape batch_input_shape (tf.keras 2) or batch_shape (Keras 3). */
const SHAPE_KEYS = ['batch_input_shape', 'batch_shape'] as const;

/** Every image input shape ([batch, h, w, c]) declared in a layers model topology. */
function imageInputShapes(topology: unknown): (number | null)[][] {
  const found: (number | null)[][] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else if (v && typeof v === 'object') {
      const o = v as Json;
      for (const key of SHAPE_KEYS) {
        const shape = o[key];
        if (Array.isArray(shape) && shape.length === 4) found.push(shape as (number | null)[]);
      }
      for (const x of Object.values(o)) walk(x);
    }
  };
  walk(topology);
  return found;
}

/** The fixed [h, w] the topology declares, or undefined when it takes any size or declares none. */
export function declaredInputSize(topology: unknown): [number, number] | undefined {
  const shape = imageInputShapes(topology).find((s) => s[1] != null && s[2] != null);
  return shape ? [shape[1]!, shape[2]!] : undefined;
}

/**
 * Wraps a model loader so every declared image input becomes size × size: a fully convolutional
 * backbone then runs at that resolution with the same weights (Keras MobileNet pads its stride-2
 * convolutions ((0,1),(0,1)) for every even size, so multiples of 32 build the same network Keras would).
 */
export function withInputSize(handler: tf.io.IOHandler, size: number): tf.io.IOHandler {
  return {
    load: async () => {
      const artifacts = await handler.load!();
      const topology = structuredClone(artifacts.modelTopology) as unknown;
      for (const shape of imageInputShapes(topology)) {
        shape[1] = size;
        shape[2] = size;
      }
      return { ...artifacts, modelTopology: topology as Json };
    },
  };
}
