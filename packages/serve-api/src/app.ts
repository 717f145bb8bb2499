import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import type { ApiContext } from './context.js';
import { ApiError } from './errors.js';
import { FeedbackStore } from './feedback-store.js';
import { createMetrics } from './metrics.js';
import { loadServingModel, type ServingModel } from './model.js';
import { ModelHolder } from './model-holder.js';
import { PredictionMemory } from './prediction-memory.js';
import { adminRoutes } from './routes/admin.js';
import { feedbackRoutes } from './routes/feedback.js';
import { predictRoutes } from './routes/predict.js';
import { statusRoutes } from './routes/status.js';
import { webRoutes } from './routes/web.js';
import { PRIVACY_TEXT, sharedSchemas } from './schemas.js';
import type { ServeSettings } from './settings.js';
import { PACKAGE_VERSION } from './version.js';

export interface BuildApiOptions {
  settings: ServeSettings;
  /** Fastify/pino logger options; default JSON lines on stdout at info level. `false` = silent. */
  logger?: FastifyServerOptions['logger'];
  /** How admin reload (and `load`) get a model; default: resolve, verify, load and warm up with the settings. */
  loadModel?: ApiContext['loadModel'];
}

export interface PlantidApi {
  app: FastifyInstance;
  context: ApiContext;
  /** Loads `ref` and puts it in service (start-up); the server answers 503 on /readyz until then. */
  load(ref: string): Promise<ServingModel>;
}

/** pino's default time is epoch ms; ISO is what people grep for. */
const isoTime = () => `,"time":"${new Date().toISOString()}"`;

export const DEFAULT_LOGGER = { level: 'info', timestamp: isoTime };

/**
 * The whole HTTP API as one Fastify instance: prediction, feedback, status, metrics,
 * OpenAPI + Swagger UI, the web page, admin reload. No model yet: call `load`.
 */
export async function buildApi(options: BuildApiOptions): Promise<PlantidApi> {
  const { settings } = options;
  const app = Fastify({
    logger:
      options.logger === false
        ? false
        : { ...DEFAULT_LOGGER, ...(typeof options.logger === 'object' ? options.logger : {}) },
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Our own lines instead: one per prediction, one per refused request, errors.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    trustProxy: settings.trustProxy,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    ajv: { customOptions: { keywords: ['example'] } },
  });
  const metrics = createMetrics();
  const holder = new ModelHolder();
  const context: ApiContext = {
    settings,
    holder,
    metrics,
    memory: new PredictionMemory(settings.predictionMemory),
    feedback: new FeedbackStore(settings.feedbackDir),
    loadModel:
      options.loadModel ??
      ((ref) =>
        loadServingModel(ref, {
          registryDir: settings.registryDir,
          baseDir: settings.bundleBaseDir,
          engine: settings.engine,
          threads: settings.threads,
          variant: settings.variant,
          warmup: settings.warmup,
          inferenceWorker: settings.inferenceWorker,
          batching: settings.batching,
          onBatch: (n, inferMs) => {
            metrics.batchSize.observe(n);
            metrics.inference.observe(inferMs / 1000);
          },
        })),
    useModel: (model) => {
      const previous = holder.swap(model);
      metrics.modelInfo.reset();
      metrics.modelInfo.set(
        { name: model.name, version: model.version, engine: model.engineKind, variant: model.variant },
        1,
      );
      previous
        ?.retire()
        .catch((error: unknown) => app.log.error({ err: error }, 'retiring the previous model failed'));
    },
  };

  for (const schema of sharedSchemas) app.addSchema(schema);
  installErrorHandling(app);
  installHooks(app, context);
  installContentParsers(app, settings);

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
    // The API is used from other origins only when CORS is configured; keep resources loadable then.
    crossOriginResourcePolicy: { policy: settings.corsOrigins.length ? 'cross-origin' : 'same-origin' },
  });
  if (settings.corsOrigins.length > 0) {
    await app.register(fastifyCors, {
      origin: settings.corsOrigins,
      methods: ['GET', 'POST'],
      exposedHeaders: ['x-request-id'],
    });
  }
  if (settings.rateLimit.max > 0) {
    await app.register(fastifyRateLimit, {
      max: settings.rateLimit.max,
      timeWindow: settings.rateLimit.windowMs,
      errorResponseBuilder: (_request, c) =>
        new ApiError(
          429,
          'RATE_LIMITED',
          `more than ${c.max} requests in ${c.after}; retry after ${c.after} (serve.rateLimit)`,
        ),
    });
  }
  await app.register(fastifyMultipart, { throwFileSizeLimit: true });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'plantid API',
        version: PACKAGE_VERSION,
        description: `Identify plant species from a photo, and tell the model when it was wrong.\n\n${PRIVACY_TEXT}`,
      },
      tags: [
        { name: 'predict', description: 'Identify plants' },
        { name: 'feedback', description: 'Corrections for the next training run' },
        { name: 'models', description: 'What is being served' },
        { name: 'status', description: 'Health, readiness, metrics' },
        { name: 'admin', description: 'Operations (bearer token)' },
      ],
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // Swagger UI (React) sets style attributes at run time; allow that on /docs only, not on the web page.
    transformStaticCSP: (header) => header.replace(/style-src [^;]*/, "style-src 'self' 'unsafe-inline'"),
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () =>
    app.swagger(),
  );

  statusRoutes(app, context);
  predictRoutes(app, context);
  feedbackRoutes(app, context);
  adminRoutes(app, context);
  await webRoutes(app);

  app.addHook('preClose', async () => {
    holder.closing = true;
  });
  app.addHook('onClose', async () => {
    await holder.current?.retire();
  });

  return {
    app,
    context,
    async load(ref) {
      const { model, loadMs } = await context.loadModel(ref);
      context.useModel(model);
      app.log.info(
        { event: 'ready', model: model.summary, ref, loadMs: Math.round(loadMs) },
        'model loaded and warmed up',
      );
      return model;
    },
  };
}

function installHooks(app: FastifyInstance, ctx: ApiContext): void {
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    ctx.metrics.requests.inc({ route, method: request.method, status: String(status) });
    ctx.metrics.latency.observe({ route, method: request.method }, reply.elapsedTime / 1000);
    if (status >= 400 && status < 500) {
      request.log.info(
        { event: 'refused', method: request.method, url: request.url, status },
        'request refused',
      );
    }
  });
}

/** Raw image bodies for curl users (`--data-binary @leaf.jpg -H 'content-type: image/jpeg'`); no text/plain bodies anywhere. */
function installContentParsers(app: FastifyInstance, settings: ServeSettings): void {
  app.removeContentTypeParser('text/plain');
  for (const type of ['application/octet-stream', /^image\/[\w.+-]+$/]) {
    app.addContentTypeParser(
      type,
      { parseAs: 'buffer', bodyLimit: settings.maxUploadBytes },
      (_request, body, done) => done(null, body),
    );
  }
}

/** Every error leaves as `{ statusCode, code, error, message }`; 4xx say what to fix, 5xx are logged and never leak internals. */
function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((raw: FastifyError | ApiError, request, reply) => {
    const error = translate(raw, request.routeOptions.bodyLimit);
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: raw }, 'request failed');
      return reply.code(status).send({
        statusCode: status,
        code: status === 503 ? error.code : 'INTERNAL',
        error: STATUS_CODES[status] ?? 'Error',
        message:
          status === 503
            ? error.message
            : `internal error (request ${request.id}); the server log has the details`,
      });
    }
    if (error instanceof ApiError) reply.headers(error.headers);
    return reply.code(status).send({
      statusCode: status,
      code: error.code ?? 'BAD_REQUEST',
      error: STATUS_CODES[status] ?? 'Error',
      message: error.message,
    });
  });
  app.setNotFoundHandler({ preHandler: undefined }, (request, reply) => {
    reply.code(404).send({
      statusCode: 404,
      code: 'NOT_FOUND',
      error: 'Not Found',
      message: `no route ${request.method} ${request.url.split('?')[0]}; see /docs for the API`,
    });
  });
}

/** Fastify and plugin errors reworded so they name the field or limit and what to do. */
function translate(
  error: FastifyError | ApiError,
  bodyLimit: number | undefined,
): { statusCode?: number; code?: string; message: string } {
  if (error instanceof ApiError) return error;
  const e = error as FastifyError;
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        statusCode: 413,
        code: 'BODY_TOO_LARGE',
        message: `request body is over the ${bodyLimit ?? 'configured'}-byte limit; send a smaller photo (serve.maxUploadMB)`,
      };
    case 'FST_REQ_FILE_TOO_LARGE':
      return {
        statusCode: 413,
        code: 'IMAGE_TOO_LARGE',
        message: 'image file is over the upload limit (serve.maxUploadMB); send a smaller photo',
      };
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return {
        statusCode: 413,
        code: 'TOO_MANY_PARTS',
        message: `${e.message}; send one image per field "image" and at most serve.maxBatchImages of them`,
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        statusCode: 415,
        code: 'UNSUPPORTED_CONTENT_TYPE',
        message: `${e.message}; send multipart/form-data, application/json or an image/* body`,
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        statusCode: 400,
        code: 'IMAGE_MISSING',
        message: 'empty JSON body; send { "image": "<base64>" }',
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { statusCode: 400, code: 'BAD_CONTENT_LENGTH', message: e.message };
  }
  if (e.validation) return { statusCode: 400, code: 'INVALID_FIELD', message: e.message };
  if (e.statusCode && e.statusCode < 500)
    return { statusCode: e.statusCode, code: e.code ?? 'BAD_REQUEST', message: e.message };
  // busboy reports a malformed multipart body as a plain Error.
  if (/multipart|boundary|unexpected end of form|malformed part header/i.test(e.message ?? '')) {
    return {
      statusCode: 400,
      code: 'MULTIPART_MALFORMED',
      message: `malformed multipart body (${e.message}); let your HTTP client build the form`,
    };
  }
  return { statusCode: e.statusCode ?? 500, code: e.code, message: e.message };
}
