import type { FastifyBaseLogger } from 'fastify';
import { FeedbackStore } from './feedback-store.js';
import { createMetrics, type Metrics } from './metrics.js';
import { loadServingModel, type ServingModel } from './model.js';
import { ModelHolder } from './model-holder.js';
import { PredictionMemory } from './prediction-memory.js';
import type { PredictionStore } from './prediction-store.js';
import { RedisPredictionStore } from './redis-prediction-store.js';
import type { ServeSettings } from './settings.js';

/**
 * What the routes share, one per registered plugin: `app.plantid`. Holds the model being served
 * and loads (or reloads) models.
 */
export class PlantidService {
  readonly holder = new ModelHolder();
  readonly metrics: Metrics = createMetrics();
  readonly memory: PredictionStore;
  readonly feedback: FeedbackStore;
  /** The load the plugin starts when the app is ready (its `bundle` option); undefined without one. */
  initialLoad: Promise<ServingModel> | undefined;

  constructor(
    readonly settings: ServeSettings,
    private readonly log: FastifyBaseLogger,
  ) {
    const { predictionMemory, store } = settings;
    this.memory =
      store === 'memory'
        ? new PredictionMemory(predictionMemory)
        : new RedisPredictionStore({
            url: store,
            ttlMs: predictionMemory.ttlMs,
            maxPhotoBytes: predictionMemory.maxBytes,
          });
    this.feedback = new FeedbackStore(settings.feedbackDir);
  }

  /** The model being served, or undefined before the first load. */
  get model(): ServingModel | undefined {
    return this.holder.current;
  }

  /** Resolves, verifies, loads and warms up `ref` without putting it in service. */
  loadModel(ref: string): Promise<{ model: ServingModel; loadMs: number }> {
    const { settings, metrics } = this;
    return loadServingModel(ref, {
      registryDir: settings.registryDir,
      baseDir: settings.bundleBaseDir,
      engine: settings.engine,
      threads: settings.threads,
      variant: settings.variant,
      warmup: settings.warmup,
      inferenceWorker: settings.inferenceWorker,
      inferenceWorkers: settings.inferenceWorkers,
      batching: settings.batching,
      onBatch: (n, inferMs) => {
        metrics.batchSize.observe(n);
        metrics.inference.observe(inferMs / 1000);
      },
    });
  }

  /** Puts a loaded model in service and retires the previous one in the background. */
  useModel(model: ServingModel): void {
    const previous = this.holder.swap(model);
    this.metrics.modelInfo.reset();
    this.metrics.modelInfo.set(
      { name: model.name, version: model.version, engine: model.engineKind, variant: model.variant },
      1,
    );
    previous
      ?.retire()
      .catch((error: unknown) => this.log.error({ err: error }, 'retiring the previous model failed'));
  }

  /** Loads `ref` and puts it in service; /readyz answers 503 until then. */
  async load(ref: string): Promise<ServingModel> {
    const { model, loadMs } = await this.loadModel(ref);
    this.useModel(model);
    this.log.info(
      { event: 'ready', model: model.summary, ref, loadMs: Math.round(loadMs) },
      'model loaded and warmed up',
    );
    return model;
  }
}
