import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Logger, UsageError } from '@plantid/core';
import type { TfjsBackend } from './engine.js';

export type TfjsPurpose = 'forward' | 'gradients';
export type TfjsBackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export type Tfjs = typeof import('@tensorflow/tfjs');

export interface BackendChoice {
  /** Backend name as tf.getBackend() reports it, plus whether the GPU build is in use. */
  backend: TfjsBackendName;
  /** The npm package that provides it. */
  package: string;
  /** Why this one: the override, or which faster options were missing. */
  reason: string;
}

const nativePackages = [
  { backend: 'tensorflow-gpu', package: '@tensorflow/tfjs-node-gpu' },
  { backend: 'tensorflow', package: '@tensorflow/tfjs-node' },
] as const;

/** Values PLANTID_BACKEND accepts. */
export const backendOverrides = ['node-gpu', 'node', 'wasm', 'cpu'] as const;

const require = createRequire(import.meta.url);

function installed(name: string): boolean {
  try {
    require.resolve(name, { paths: [process.cwd(), dirname(require.resolve('@tensorflow/tfjs'))] });
    return true;
  } catch {
    return false;
  }
}

function readOverride(env: NodeJS.ProcessEnv): (typeof backendOverrides)[number] | undefined {
  const value = env.PLANTID_BACKEND?.trim();
  if (!value) return undefined;
  if ((backendOverrides as readonly string[]).includes(value))
    return value as (typeof backendOverrides)[number];
  throw new UsageError(`PLANTID_BACKEND=${value} is not a backend`, {
    hint: `use one of ${backendOverrides.join(', ')}`,
  });
}

/**
 * Which backend `selectTfjsBackend(purpose)` would pick, without loading TensorFlow.js
 * (cheap enough for the run environment record).
 */
export function planTfjsBackend(purpose: TfjsPurpose, env: NodeJS.ProcessEnv = process.env): BackendChoice {
  const override = readOverride(env);
  if (override === 'node-gpu' || override === 'node') {
    const native = nativePackages[override === 'node-gpu' ? 0 : 1];
    if (!installed(native.package)) {
      throw new UsageError(`PLANTID_BACKEND=${override} but ${native.package} is not installed`, {
        hint: 'see README "Native backends", or unset PLANTID_BACKEND',
      });
    }
    return { backend: native.backend, package: native.package, reason: `PLANTID_BACKEND=${override}` };
  }
  if (override === 'wasm' || override === 'cpu') {
    const pkg = override === 'wasm' ? '@tensorflow/tfjs-backend-wasm' : '@tensorflow/tfjs';
    return { backend: override, package: pkg, reason: `PLANTID_BACKEND=${override}` };
  }
  for (const native of nativePackages) {
    if (installed(native.package)) return { ...native, reason: `${native.package} is installed` };
  }
  const missing = 'no native backend installed (@tensorflow/tfjs-node[-gpu])';
  return purpose === 'forward'
    ? {
        backend: 'wasm',
        package: '@tensorflow/tfjs-backend-wasm',
        reason: `${missing}; wasm for forward passes`,
      }
    : {
        backend: 'cpu',
        package: '@tensorflow/tfjs',
        reason: `${missing}; cpu for gradients (wasm lacks conv gradient kernels)`,
      };
}

/**
 * Initialises TensorFlow.js on the fastest backend available for `purpose` and returns the
 * `tf` namespace: tfjs-node-gpu, then tfjs-node (both optional, loaded by dynamic import),
 * else wasm for forward passes and cpu for gradients. PLANTID_BACKEND (node-gpu | node | wasm | cpu)
 * overrides. The choice and the reason are logged.
 */
export async function selectTfjsBackend(
  purpose: TfjsPurpose,
  options: { log?: Logger; env?: NodeJS.ProcessEnv } = {},
): Promise<Tfjs> {
  const choice = planTfjsBackend(purpose, options.env);
  let tf: Tfjs;
  if (choice.backend === 'tensorflow' || choice.backend === 'tensorflow-gpu') {
    // Optional packages: a variable specifier keeps bundlers and tsc from requiring them.
    const specifier: string = choice.package;
    const resolved = require.resolve(specifier, {
      paths: [process.cwd(), dirname(require.resolve('@tensorflow/tfjs'))],
    });
    tf = (await import(resolved)) as Tfjs;
    await tf.setBackend('tensorflow');
  } else {
    tf = await import('@tensorflow/tfjs');
    if (choice.backend === 'wasm') {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // The wasm binaries sit next to the package's node entry (dist/); a trailing slash makes it a prefix.
      wasm.setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')))}/`);
    }
    // The cpu backend's "install tfjs-node" banner repeats what we log below, with the reason.
    tf.env().set('PROD', true);
    if (!(await tf.setBackend(choice.backend))) {
      throw new Error(`tfjs backend ${choice.backend} failed to initialise`);
    }
  }
  await tf.ready();
  options.log?.info(`tfjs backend: ${tf.getBackend()} for ${purpose} (${choice.reason})`, {
    backend: tf.getBackend(),
    purpose,
  });
  return tf;
}

/** What the run record says about tfjs: the backends `selectTfjsBackend` would pick and why. */
export function tfjsEnvironment(env: NodeJS.ProcessEnv = process.env): {
  forward: string;
  gradients: string;
  reason: string;
} {
  try {
    const forward = planTfjsBackend('forward', env);
    return {
      forward: forward.backend,
      gradients: planTfjsBackend('gradients', env).backend,
      reason: forward.reason,
    };
  } catch (error) {
    return { forward: 'unavailable', gradients: 'unavailable', reason: (error as Error).message };
  }
}

/** Initialises the tfjs backend for forward passes: the pinned one, else the automatic choice. */
export async function initTfjsBackend(backend?: TfjsBackend): Promise<string> {
  const env = backend ? { ...process.env, PLANTID_BACKEND: backend } : process.env;
  const tfjs = await selectTfjsBackend('forward', { env });
  return tfjs.getBackend();
}
