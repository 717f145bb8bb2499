import { type Logger, planTfjsBackend, selectTfjsBackend } from '@plantid/core';

/** True when tfjs-node or tfjs-node-gpu would be used for gradients. */
export function nativeBackendAvailable(): boolean {
  const plan = planTfjsBackend('gradients');
  return plan.backend === 'tensorflow' || plan.backend === 'tensorflow-gpu';
}

/** Makes the gradient backend current (native when installed, else cpu) and returns its name. */
export async function useGradientBackend(log?: Logger): Promise<string> {
  const tf = await selectTfjsBackend('gradients', { log });
  return tf.getBackend();
}
