import { createHash, timingSafeEqual } from 'node:crypto';
import { BundleError, listModels } from '@plantid/bundle';
import { isPlantidError, UsageError } from '@plantid/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type ApiError, BODY_ERRORS, errorResponses, errors, isApiError } from '../errors.js';
import type { PlantidService } from '../service.js';

export function adminRoutes(app: FastifyInstance): void {
  const service = app.plantid;
  app.post<{ Body: { bundle: string } }>(
    '/v1/admin/reload',
    {
      onRequest: async (request) => authorize(request, service.settings.adminToken),
      schema: {
        operationId: 'reloadModel',
        summary: 'Load another model version or alias without downtime',
        description:
          'Resolves and verifies the bundle, loads it and warms it up while the current model keeps serving; then swaps. ' +
          'If anything fails, the current model stays in service and the error is returned. Needs `Authorization: Bearer <serve.adminToken>`.',
        tags: ['admin'],
        security: [{ bearerAuth: [] }],
        body: {
          type: 'object',
          required: ['bundle'],
          additionalProperties: false,
          properties: {
            bundle: {
              type: 'string',
              minLength: 1,
              description: 'Bundle folder or registry name@alias / name@version.',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              previous: { anyOf: [{ $ref: 'ModelRef#' }, { type: 'null' }] },
              current: { $ref: 'ModelRef#' },
              loadMs: { type: 'number' },
            },
            required: ['previous', 'current', 'loadMs'],
          },
          ...errorResponses(
            ...BODY_ERRORS,
            'UNAUTHORIZED',
            'ADMIN_DISABLED',
            'BUNDLE_NOT_FOUND',
            'RELOAD_FAILED',
            'RELOAD_IN_PROGRESS',
            'MODEL_LOAD_FAILED',
            'RATE_LIMITED',
          ),
        },
      },
    },
    async (request) => {
      const { holder } = service;
      return holder.exclusive(async () => {
        const previous = holder.current?.summary ?? null;
        const ref = request.body.bundle;
        let loaded: Awaited<ReturnType<PlantidService['loadModel']>>;
        try {
          loaded = await service.loadModel(ref);
        } catch (error) {
          throw await reloadFailure(error, ref, service);
        }
        service.useModel(loaded.model);
        request.log.info(
          { event: 'reload', previous, current: loaded.model.summary, loadMs: Math.round(loaded.loadMs) },
          'model reloaded',
        );
        return { previous, current: loaded.model.summary, loadMs: Math.round(loaded.loadMs) };
      });
    },
  );
}

/**
 * Why a reload failed, for the admin who asked, in terms of the ref and the registry's model
 * names (never the server's paths): a ref that names nothing is 404, a bundle that fails
 * verification 400, a verified model that cannot be loaded 422. The old model keeps serving.
 */
async function reloadFailure(error: unknown, ref: string, service: PlantidService): Promise<ApiError> {
  if (isApiError(error)) return error;
  const current = service.model;
  const head = `reload of "${ref}" failed, still serving the previous model${current ? ` (${current.name}@${current.version})` : ''}`;
  const notFound =
    (error instanceof UsageError && !(error instanceof BundleError)) ||
    (error instanceof BundleError && error.code === 'not-a-bundle');
  if (notFound) {
    const models = (await listModels(service.settings.registryDir)).map((m) => m.name);
    const listing = /^(aliases|versions):/.test(error.hint ?? '') ? ` (${error.hint})` : '';
    return new errors.BUNDLE_NOT_FOUND(
      `${head}: ${error.message}${listing}; the registry has ${models.length ? `models ${models.join(', ')}` : 'no models'}`,
    );
  }
  if (isPlantidError(error)) {
    return new errors.RELOAD_FAILED(`${head}: ${error.message}${error.hint ? ` (${error.hint})` : ''}`);
  }
  const first = String((error as Error)?.message ?? error).split('\n')[0];
  return new errors.MODEL_LOAD_FAILED(`${head}: ${first}`);
}

async function authorize(request: FastifyRequest, token: string | undefined): Promise<void> {
  if (!token) {
    throw new errors.ADMIN_DISABLED(
      'admin routes are off; set serve.adminToken or PLANTID_ADMIN_TOKEN to enable them',
    );
  }
  const header = request.headers.authorization ?? '';
  const given = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
  if (!given) throw new errors.UNAUTHORIZED('send Authorization: Bearer <admin token>');
  if (!sameSecret(given, token)) throw new errors.UNAUTHORIZED('wrong admin token');
}

/** Constant-time comparison (of digests, so lengths never leak). */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}
