import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type ApiError,
  declaredCodes,
  type ErrorCode,
  errorBody,
  errors,
  headersOf,
  isApiError,
} from './errors.js';

/**
 * Every error leaves as `{ statusCode, code, error, message }` with a catalogued code: ours as
 * thrown, Fastify's and the plugins' translated so they name the field or limit and what to do.
 * Anything else is a server fault (500 INTERNAL, logged, never leaked). A code the route did not
 * declare in its schema is answered but logged as an error, so tests catch the gap.
 */
export function installErrorHandling(scope: FastifyInstance): void {
  scope.setErrorHandler((raw: FastifyError, request, reply) => {
    // No route matched, and reading the request failed first (e.g. QUERY without Content-Type).
    if (request.is404) return answerUnrouted(scope, request, reply);
    const error = translate(raw, request);
    if (!error) {
      request.log.error({ err: raw }, 'request failed');
      return reply
        .code(500)
        .send(
          errorBody('INTERNAL', `internal error (request ${request.id}); the server log has the details`),
        );
    }
    const { code, statusCode } = error;
    if (statusCode >= 500)
      request.log.warn({ code, message: error.message }, 'request refused: service unavailable');
    const declared = declaredCodes(request.routeOptions.schema, statusCode);
    if (!declared?.includes(code)) {
      request.log.error(
        { event: 'undeclared-error', route: request.routeOptions.url, status: statusCode, code },
        `${request.method} ${request.routeOptions.url} answered ${statusCode} ${code}, which its schema does not declare`,
      );
    }
    return reply.code(statusCode).headers(headersOf(code)).send(errorBody(code, error.message));
  });

  scope.setNotFoundHandler((request, reply) => answerUnrouted(scope, request, reply));
}

/** 405 with `Allow` when the path has routes for other methods (204 + `Allow` for OPTIONS), else 404. */
function answerUnrouted(scope: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
  const path = request.url.split('?')[0] ?? '/';
  const allowed = scope.supportedMethods.filter((method) => scope.findRoute({ method, url: path }) !== null);
  if (allowed.length === 0) {
    return reply
      .code(404)
      .send(errorBody('NOT_FOUND', `no route ${request.method} ${path}; see /docs for the API`));
  }
  reply.header('allow', allowed.join(', '));
  if (request.method === 'OPTIONS') return reply.code(204).send();
  return reply
    .code(405)
    .send(
      errorBody(
        'METHOD_NOT_ALLOWED',
        `${request.method} is not allowed on ${path}; use ${allowed.join(' or ')} (see /docs)`,
      ),
    );
}

type Translation = { code: ErrorCode; message: (e: FastifyError, request: FastifyRequest) => string };

/** Fastify's and the plugins' codes, reworded. */
const TRANSLATIONS: Record<string, Translation> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'BODY_TOO_LARGE',
    message: (_e, r) =>
      `request body is over the ${r.routeOptions.bodyLimit ?? 'configured'}-byte limit; send a smaller photo (serve.maxUploadMB)`,
  },
  FST_REQ_FILE_TOO_LARGE: {
    code: 'IMAGE_TOO_LARGE',
    message: () => 'image file is over the upload limit (serve.maxUploadMB); send a smaller photo',
  },
  FST_FILES_LIMIT: { code: 'TOO_MANY_PARTS', message: (e) => partsMessage(e) },
  FST_PARTS_LIMIT: { code: 'TOO_MANY_PARTS', message: (e) => partsMessage(e) },
  FST_FIELDS_LIMIT: { code: 'TOO_MANY_PARTS', message: (e) => partsMessage(e) },
  FST_PROTO_VIOLATION: {
    code: 'MULTIPART_MALFORMED',
    message: () => 'a multipart field is named like an object property (__proto__, constructor); rename it',
  },
  FST_MP_PREMATURE_CLOSE: {
    code: 'MULTIPART_MALFORMED',
    message: () => 'the multipart body ended early; send the whole form',
  },
  FST_INVALID_JSON_FIELD_ERROR: {
    code: 'INVALID_FIELD',
    message: () => 'a multipart field declared as application/json is not JSON',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'UNSUPPORTED_CONTENT_TYPE',
    message: (e) => `${e.message}; send multipart/form-data, application/json or an image/* body`,
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'INVALID_JSON',
    message: () => 'empty JSON body; send a JSON object (see /docs for its fields)',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    code: 'INVALID_JSON',
    message: () => 'request body is not valid JSON; send a JSON object (see /docs for its fields)',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'BAD_CONTENT_LENGTH', message: (e) => e.message },
};

function partsMessage(e: FastifyError): string {
  return `${e.message}; send one image per field "image" and at most serve.maxBatchImages of them`;
}

function translate(error: FastifyError, request: FastifyRequest): ApiError | undefined {
  if (isApiError(error)) return error;
  if (
    error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' &&
    declaredCodes(request.routeOptions.schema, 400)?.includes('IMAGE_MISSING')
  ) {
    return new errors.IMAGE_MISSING('empty JSON body; send { "image": "<base64>" }');
  }
  const translation = error.code ? TRANSLATIONS[error.code] : undefined;
  if (translation) return new errors[translation.code](translation.message(error, request));
  if (error.validation) return new errors.INVALID_FIELD(error.message);
  // busboy reports a malformed multipart body as a plain Error.
  if (/multipart|boundary|unexpected end of form|malformed part header/i.test(error.message ?? '')) {
    return new errors.MULTIPART_MALFORMED(
      `malformed multipart body (${error.message}); let your HTTP client build the form`,
    );
  }
  return undefined;
}
