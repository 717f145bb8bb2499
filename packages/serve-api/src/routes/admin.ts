import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { ApiError } from '../errors.js';
import { errorResponses } from '../schemas.js';

export function adminRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Body: { bundle: string } }>(
    '/v1/admin/reload',
    {
      onRequest: async (request) => authorize(request, ctx.settings.adminToken),
      schema: {
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
          ...errorResponses(400, 401, 403, 409, 422),
        },
      },
    },
    async (request) => {
      return ctx.holder.exclusive(async () => {
        const previous = ctx.holder.current?.summary ?? null;
        let loaded: Awaited<ReturnType<ApiContext['loadModel']>>;
        try {
          loaded = await ctx.loadModel(request.body.bundle);
        } catch (error) {
          throw reloadFailure(error);
        }
        ctx.useModel(loaded.model);
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
 * Bundle problems are the caller's to fix (bad ref: 400; damaged or unloadable model: 422), with the
 * reader's message; the old model keeps serving either way.
 */
function reloadFailure(error: unknown): unknown {
  const e = error as { exitCode?: number; toLine?: () => string; message?: string };
  if (typeof e.toLine === 'function') {
    const status = e.exitCode === 2 ? 400 : 422;
    return new ApiError(
      status,
      'RELOAD_FAILED',
      `reload failed, still serving the previous model: ${e.toLine()}`,
    );
  }
  if (error instanceof ApiError) return error;
  const first = String(e.message ?? error).split('\n')[0];
  return new ApiError(422, 'RELOAD_FAILED', `reload failed, still serving the previous model: ${first}`);
}

async function authorize(request: FastifyRequest, token: string | undefined): Promise<void> {
  if (!token) {
    throw new ApiError(
      403,
      'ADMIN_DISABLED',
      'admin routes are off; set serve.adminToken or PLANTID_ADMIN_TOKEN to enable them',
    );
  }
  const header = request.headers.authorization ?? '';
  const given = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
  const challenge = { 'www-authenticate': 'Bearer realm="plantid-admin"' };
  if (!given) throw new ApiError(401, 'UNAUTHORIZED', 'send Authorization: Bearer <admin token>', challenge);
  if (!sameSecret(given, token)) throw new ApiError(401, 'UNAUTHORIZED', 'wrong admin token', challenge);
}

/** Constant-time comparison (of digests, so lengths never leak). */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}
