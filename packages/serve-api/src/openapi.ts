import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { ServingModel } from './model.js';
import { PRIVACY_TEXT } from './schemas.js';
import type { PlantidService } from './service.js';
import { PACKAGE_VERSION } from './version.js';

/** An OpenAPI operation object, as @fastify/swagger writes it. */
export type OpenApiOperation = {
  parameters?: { name: string; in: string; schema?: Record<string, unknown> }[];
  requestBody?: {
    content?: Record<string, { schema?: { properties?: Record<string, Record<string, unknown>> } }>;
  };
};

export type DescribeModel = (operation: OpenApiOperation, model: ServingModel) => void;

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Writes what the loaded model implies (topK's maximum, the labels feedback takes) into this
     * route's OpenAPI operation. The handler checks requests against the same model, so the
     * document a client reads always states the bounds the server enforces.
     */
    describeModel?: DescribeModel;
  }
}

/**
 * OpenAPI 3.1 from the route schemas (@fastify/swagger) at `/openapi.json` and `/docs/json`,
 * Swagger UI at `/docs`. Register before the routes: the document lists routes registered after it.
 */
export async function registerOpenApi(scope: FastifyInstance, service: PlantidService): Promise<void> {
  const described: { url: string; method: string; describe: DescribeModel }[] = [];
  scope.addHook('onRoute', (route) => {
    const describe = route.config?.describeModel;
    if (!describe) return;
    for (const method of [route.method].flat()) described.push({ url: route.url, method, describe });
  });
  /** The cached document (cloned by the caller) with the loaded model's bounds filled in. */
  const forLoadedModel = <T>(doc: T): T => {
    const model = service.model;
    const paths = (doc as { paths?: Record<string, Record<string, OpenApiOperation>> }).paths ?? {};
    if (model) {
      for (const { url, method, describe } of described) {
        const operation = paths[url]?.[method.toLowerCase()];
        if (operation) describe(operation, model);
      }
    }
    return doc;
  };

  await scope.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'plantid API',
        version: PACKAGE_VERSION,
        description: [
          'Identify plant species from a photo, and tell the model when it was wrong.',
          PRIVACY_TEXT,
          'Every error is `{ statusCode, code, error, message }`; each operation lists the codes it may answer. ' +
            `A path that does not exist answers 404 \`NOT_FOUND\`; a known path with a method it does not take answers 405 \`METHOD_NOT_ALLOWED\` with an \`Allow\` header.`,
        ].join('\n\n'),
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
  await scope.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // Swagger UI (React) sets style attributes at run time; allow that on /docs only, not on the web page.
    transformStaticCSP: (header) => header.replace(/style-src [^;]*/, "style-src 'self' 'unsafe-inline'"),
    transformSpecificationClone: true,
    transformSpecification: (spec) => forLoadedModel(spec),
  });
  scope.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () =>
    forLoadedModel(structuredClone(scope.swagger())),
  );
}
