import type { Logger } from '@plantid/core';
import { planTfjsBackend, selectTfjsBackend } from '@plantid/engine';

/** True when tfjs-node or tfjs-node-gpu would be used for gradients. */
export function nativeBackendAvailable(): boolean {
  const plan = planTfjsBackend('gradients');
  return plan.backend === 'tensorflow' || plan.backend === 'tensorflow-gpu';
}

/**
 * Makes the training backend current and returns its name: native when installed; else wasm for
 * dense-only models (the head: wasm has every dense kernel and gradient, ~4× faster than cpu here)
 * and cpu for convolutions (wasm lacks their gradient kernels).
 */
export async function useTrainingBackend(model: 'dense' | 'conv', log?: Logger): Promise<string> {
  const tf = await selectTfjsBackend(model === 'dense' ? 'forward' : 'gradients', { log });
  return tf.getBackend();
}
