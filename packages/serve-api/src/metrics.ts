import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64];
/** Probabilities and open-set scores in [0, 1]: fine steps near 1, where a confident model lives. */
const UNIT_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99, 1];

/**
 * What an answer can say (issue 12's statuses). Until the server decides between them, every answer
 * counts as `identified`; dashboards and alerts already read the share of the other two.
 */
export type AnswerStatus = 'identified' | 'uncertain' | 'not_recognized';

/**
 * The Prometheus metrics of one server, in their own registry (tests run several servers in one process).
 * `ready` is read at scrape time: what /readyz would answer.
 */
export function createMetrics(ready: () => boolean = () => false) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'plantid_' });
  return {
    registry,
    ready: new Gauge({
      name: 'plantid_ready',
      help: '1 while GET /readyz answers 200 (model warm, not shutting down), else 0.',
      registers: [registry],
      collect() {
        this.set(ready() ? 1 : 0);
      },
    }),
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
    queueWait: new Histogram({
      name: 'plantid_queue_wait_seconds',
      help: 'Time an image waited, decoded, for its inference batch to start (micro-batching queue).',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    answers: new Counter({
      name: 'plantid_answers_total',
      help: 'Answers by status (identified, uncertain, not_recognized) and the model version that gave them.',
      labelNames: ['status', 'model', 'version'] as const,
      registers: [registry],
    }),
    top1Confidence: new Histogram({
      name: 'plantid_top1_confidence',
      help: 'Calibrated confidence of the top-1 prediction, per model version (input drift shows as a shift).',
      labelNames: ['model', 'version'] as const,
      buckets: UNIT_BUCKETS,
      registers: [registry],
    }),
    opensetScore: new Histogram({
      name: 'plantid_openset_score',
      help: 'Open-set score of each answer (how much the photo looks like a known species), per model version.',
      labelNames: ['model', 'version'] as const,
      buckets: UNIT_BUCKETS,
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
      help: 'Feedback received, by whether the prediction was correct, whether the photo was kept, and the model version that predicted.',
      labelNames: ['correct', 'consent', 'model', 'version'] as const,
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

export interface AnswerObservation {
  model: { name: string; version: string };
  status: AnswerStatus;
  top1Confidence: number;
  /** The open-set score when the model has one (issue 12); absent, nothing is observed. */
  opensetScore?: number;
  timings: { decodeMs: number; queueMs: number };
}

/** Everything /metrics counts about one answered photo, in one place for every route that answers. */
export function observeAnswer(metrics: Metrics, answer: AnswerObservation): void {
  const model = { model: answer.model.name, version: answer.model.version };
  metrics.answers.inc({ status: answer.status, ...model });
  metrics.top1Confidence.observe(model, answer.top1Confidence);
  if (answer.opensetScore !== undefined) metrics.opensetScore.observe(model, answer.opensetScore);
  metrics.decode.observe(answer.timings.decodeMs / 1000);
  metrics.queueWait.observe(answer.timings.queueMs / 1000);
}
