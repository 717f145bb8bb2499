import { AjvCompiler } from '@fastify/ajv-compiler';
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { installErrorHandling } from './error-handler.js';
import { errors } from './errors.js';
import { registerOpenApi } from './openapi.js';
import { adminRoutes } from './routes/admin.js';
import { feedbackRoutes } from './routes/feedback.js';
import { identifyRoutes } from './routes/identify.js';
import { predictRoutes } from './routes/predict.js';
import { statusRoutes } from './routes/status.js';
import { webRoutes } from './routes/web.js';
import { sharedSchemas } from './schemas.js';
import { PlantidService } from './service.js';
import { resolveServeSettings, type ServeSettings } from './settings.js';

export interface PlantidOptions extends Partial<ServeSettings> {
  /** Bundle folder or registry `name@alias` loaded when the app is ready; without it, call `app.plantid.load(ref)`. */
  bundle?: string;
  /** Mount every route under this path (`/plants` → `/plants/v1/predict`). */
  prefix?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** plantid's state: the model being served, metrics, prediction memory, feedback store, settings. */
    plantid: PlantidService;
  }
}

/**
 * The whole plantid API as a Fastify plugin: `await app.register(plantid, { bundle, prefix })`.
 * Prediction, feedback, status, metrics, OpenAPI + Swagger UI, the web page and admin reload,
 * with their error handling, body parsers, security headers and limits, all inside their own
 * encapsulated scope so the host app keeps its own. The model loads in the background once the
 * app is ready: `/healthz` answers 200 from the start, `/readyz` 503 until the model is warm
 * (`await app.plantid.initialLoad` to wait for it).
 */
async function plantidPlugin(app: FastifyInstance, options: PlantidOptions): Promise<void> {
  const { prefix = '', ...given } = options;
  const settings: ServeSettings = { ...resolveServeSettings({ env: {} }), ...given };
  const service = new PlantidService(settings, app.log);
  app.decorate('plantid', service);
  // fastify-plugin shares the decorator with the host; the routes get a scope of their own, under the prefix.
  await app.register((scope) => registerApi(scope, service), { prefix });

  app.addHook('onReady', async () => {
    if (!settings.bundle) return;
    const loading = service.load(settings.bundle);
    loading.catch((error: unknown) =>
      app.log.error({ err: error, ref: settings.bundle }, 'the model failed to load; /readyz stays 503'),
    );
    service.initialLoad = loading;
  });
  app.addHook('preClose', async () => {
    service.holder.closing = true;
  });
  app.addHook('onClose', async () => {
    await service.initialLoad?.catch(() => undefined);
    await service.holder.current?.retire();
    await service.memory.close();
  });
}

export const plantid = fp(plantidPlugin, { fastify: '5.x', name: '@plantid/serve-api' });

async function registerApi(scope: FastifyInstance, service: PlantidService): Promise<void> {
  const { settings } = service;
  for (const schema of sharedSchemas) scope.addSchema(schema);
  installValidation(scope);
  installErrorHandling(scope);
  installHooks(scope, service);
  installContentParsers(scope, settings);

  await scope.register(fastifyHelmet, {
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
    await scope.register(fastifyCors, {
      origin: settings.corsOrigins,
      methods: ['GET', 'POST'],
      exposedHeaders: ['x-request-id'],
    });
  }
  if (settings.rateLimit.max > 0) {
    await scope.register(fastifyRateLimit, {
      max: settings.rateLimit.max,
      timeWindow: settings.rateLimit.windowMs,
      errorResponseBuilder: (_request, c) =>
        new errors.RATE_LIMITED(
          `more than ${c.max} requests in ${c.after}; retry after ${c.after} (serve.rateLimit)`,
        ),
    });
  }
  await scope.register(fastifyMultipart, { throwFileSizeLimit: true });
  await registerOpenApi(scope, service);

  statusRoutes(scope);
  predictRoutes(scope);
  identifyRoutes(scope);
  feedbackRoutes(scope);
  adminRoutes(scope);
  await webRoutes(scope);
}

function installHooks(scope: FastifyInstance, service: PlantidService): void {
  scope.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // While closing, end keep-alive connections after their last answer; otherwise close()
    // waits out keepAliveTimeout (72 s) for every client that sent a request in flight.
    if (service.holder.closing) reply.header('connection', 'close');
  });
  scope.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    service.metrics.requests.inc({ route, method: request.method, status: String(status) });
    service.metrics.latency.observe({ route, method: request.method }, reply.elapsedTime / 1000);
    if (status >= 400 && status < 500) {
      request.log.info(
        { event: 'refused', method: request.method, url: request.url, status },
        'request refused',
      );
    }
  });
}

/**
 * Fastify's Ajv, except that JSON bodies are checked as sent: no type coercion, so `false` is not
 * the string "false" and null is not "" (the document's types are the ones enforced). Query
 * strings are text, so they keep Fastify's coercion (`?topK=3`).
 */
function installValidation(scope: FastifyInstance): void {
  const fromPool = AjvCompiler();
  const bodies = fromPool({}, { customOptions: { coerceTypes: false } });
  const others = fromPool({}, { customOptions: {} });
  scope.setValidatorCompiler((route) => (route.httpPart === 'body' ? bodies : others)(route));
}

/** Raw image bodies for curl users (`--data-binary @leaf.jpg -H 'content-type: image/jpeg'`); no text/plain bodies anywhere. */
function installContentParsers(scope: FastifyInstance, settings: ServeSettings): void {
  scope.removeContentTypeParser('text/plain');
  for (const type of ['application/octet-stream', /^image\/[\w.+-]+$/]) {
    scope.addContentTypeParser(
      type,
      { parseAs: 'buffer', bodyLimit: settings.maxUploadBytes },
      (_request, body, done) => done(null, body),
    );
  }
}
