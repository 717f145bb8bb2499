import type { FeedbackStore } from './feedback-store.js';
import type { Metrics } from './metrics.js';
import type { ServingModel } from './model.js';
import type { ModelHolder } from './model-holder.js';
import type { PredictionMemory } from './prediction-memory.js';
import type { ServeSettings } from './settings.js';

/** What the routes share: one per server instance. */
export interface ApiContext {
  settings: ServeSettings;
  holder: ModelHolder;
  metrics: Metrics;
  memory: PredictionMemory;
  feedback: FeedbackStore;
  /** Resolves, verifies, loads and warms a model (admin reload uses it). */
  loadModel: (ref: string) => Promise<{ model: ServingModel; loadMs: number }>;
  /** Puts a loaded model in service and retires the previous one in the background. */
  useModel: (model: ServingModel) => void;
}
