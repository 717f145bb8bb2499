import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64];

/** The Prometheus metrics of one server, in their own registry (tests run several servers in one process). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'plantid_' });
  return {
    registry,
    requests: new Counter({
      name: 'plantid_http_requests_total',
      help: 'HTTP requests by route, method and status code.',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'plantid_http_request_duration_seconds',
      help: 'Time from request received to response sent, by route.',
      labelNames: ['route', 'method'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    decode: new Histogram({
      name: 'plantid_decode_duration_seconds',
      help: 'Image decode + preprocess time per image.',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    inference: new Histogram({
      name: 'plantid_inference_duration_seconds',
      help: 'Model inference time per batch call.',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'plantid_batch_size',
      help: 'Images per inference call (micro-batching).',
      buckets: BATCH_BUCKETS,
      registers: [registry],
    }),
    predictions: new Counter({
      name: 'plantid_predictions_total',
      help: 'Top-1 predictions by label.',
      labelNames: ['label'] as const,
      registers: [registry],
    }),
    feedback: new Counter({
      name: 'plantid_feedback_total',
      help: 'Feedback received, by whether the prediction was correct and whether the photo was kept.',
      labelNames: ['correct', 'consent'] as const,
      registers: [registry],
    }),
    modelInfo: new Gauge({
      name: 'plantid_model_info',
      help: 'The model being served (value 1), by name, version and engine.',
      labelNames: ['name', 'version', 'engine', 'variant'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
