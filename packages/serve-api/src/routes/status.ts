import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../errors.js';

const statusSchema = {
  type: 'object',
  properties: {
    status: { type: 'string' },
    model: { anyOf: [{ $ref: 'ModelRef#' }, { type: 'null' }] },
    reason: { type: 'string', description: 'why the server is not ready, when it is not' },
  },
  required: ['status', 'model'],
} as const;

export function statusRoutes(app: FastifyInstance): void {
  const { holder, metrics, memory } = app.plantid;
  // Kubernetes semantics: a failing liveness probe restarts the pod, so /healthz says only that the
  // process answers; whether to send it traffic (model loaded and warm, not shutting down) is /readyz.
  app.get(
    '/healthz',
    {
      config: { rateLimit: false },
      schema: {
        summary: 'Liveness: 200 while the process is up (with the model being served, if any yet)',
        tags: ['status'],
        response: { 200: statusSchema },
      },
    },
    async () => ({ status: 'ok', model: holder.current?.summary ?? null }),
  );

  app.get(
    '/readyz',
    {
      config: { rateLimit: false },
      schema: {
        summary:
          'Readiness: 200 once the model is warmed up, 503 while loading, shutting down or without its prediction store (serve.store)',
        tags: ['status'],
        response: { 200: statusSchema, 503: statusSchema },
      },
    },
    async (_request, reply) => {
      const model = holder.current?.summary ?? null;
      if (holder.closing) return reply.code(503).send({ status: 'shutting down', model });
      if (!holder.ready || holder.current === undefined)
        return reply.code(503).send({ status: 'loading', model });
      // Replicas share the prediction store: without it feedback fails, so traffic goes elsewhere.
      const problem = await memory.problem();
      if (problem) return reply.code(503).send({ status: 'store unavailable', model, reason: problem });
      return { status: 'ready', model };
    },
  );

  app.get(
    '/v1/models',
    {
      schema: {
        summary: 'The model being served: labels, preprocessing, evaluation summary',
        tags: ['models'],
        response: {
          200: {
            type: 'object',
            properties: {
              models: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    name: { type: 'string' },
                    version: { type: 'string' },
                    ref: { type: 'string', description: 'What it was loaded from (path or name@alias).' },
                    status: { type: 'string', enum: ['AVAILABLE'] },
                    created: { type: 'string' },
                    loadedAt: { type: 'string' },
                    engine: { type: 'string' },
                    variant: { type: 'string' },
                    inputShape: { type: 'array', items: { type: ['integer', 'null'] } },
                    calibrationTemperature: { type: ['number', 'null'] },
                    labels: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          index: { type: 'integer' },
                          id: { type: 'string' },
                          name: { type: 'string' },
                        },
                        required: ['index', 'id', 'name'],
                      },
                    },
                    preprocess: { type: 'object', additionalProperties: true },
                    metrics: {
                      type: ['object', 'null'],
                      additionalProperties: true,
                      description: 'Headline figures of evaluate/metrics.json.',
                    },
                  },
                },
              },
            },
            required: ['models'],
          },
          ...errorResponses('RATE_LIMITED'),
        },
      },
    },
    async () => {
      const model = holder.current;
      if (!model) return { models: [] };
      return {
        models: [
          {
            name: model.name,
            version: model.version,
            ref: model.ref,
            status: 'AVAILABLE',
            created: model.bundle.manifest.created,
            loadedAt: model.loadedAt,
            engine: model.engineKind,
            variant: model.variant,
            inputShape: model.bundle.manifest.model.inputShape,
            calibrationTemperature: model.temperature,
            labels: model.labels,
            preprocess: model.spec,
            metrics: headline(model.bundle.metrics),
          },
        ],
      };
    },
  );

  app.get(
    '/metrics',
    {
      config: { rateLimit: false },
      schema: { summary: 'Prometheus metrics', tags: ['status'], produces: ['text/plain'] },
    },
    async (_request, reply) => {
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );
}

/** Top-level numbers of metrics.json (e.g. top1, top3, ece) plus the calibration block; the rest stays in the bundle. */
function headline(metrics: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!metrics) return null;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metrics)) {
    if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean')
      out[key] = value;
  }
  if (metrics.calibration && typeof metrics.calibration === 'object') out.calibration = metrics.calibration;
  return out;
}
