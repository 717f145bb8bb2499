import type { RememberedPrediction } from './prediction-memory.js';

/**
 * Where recent predictions wait for their feedback: this process's memory (one server) or Redis
 * (replicas share it, so feedback sent to any of them finds the prediction and its photo).
 */
export interface PredictionStore {
  /** `memory` or `redis` (the /readyz answer and logs say which). */
  readonly kind: 'memory' | 'redis';
  remember(value: RememberedPrediction): Promise<void>;
  /** The prediction, or undefined when unknown or expired; throws StoreUnavailableError when the store is down. */
  recall(id: string): Promise<RememberedPrediction | undefined>;
  /** Undefined when the store answers, else why not (for /readyz). */
  problem(): Promise<string | undefined>;
  close(): Promise<void>;
}

/** The shared store cannot be reached: feedback answers 503, nothing is written. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
