import { STATUS_CODES } from 'node:http';
import createError, { type FastifyErrorConstructor } from '@fastify/error';

interface CatalogueEntry {
  status: number;
  /** What it means, for the OpenAPI document (the message of each answer says what to do). */
  meaning: string;
  /** Response headers every answer with this code carries. */
  headers?: Record<string, string>;
}

/**
 * Every code the API can answer, once, with its status. Routes declare which of these they
 * may answer (`errorResponses`); the OpenAPI document lists them per route and status, and the
 * error handler logs an error when a route answers a code it did not declare.
 */
export const ERROR_CATALOGUE = {
  IMAGE_MISSING: {
    status: 400,
    meaning: 'no photo in the request, or the photo in a field other than `image`',
  },
  IMAGE_EMPTY: { status: 400, meaning: 'the photo is 0 bytes' },
  IMAGE_NOT_BASE64: { status: 400, meaning: 'a JSON `image` that is not base64' },
  IMAGE_UNDECODABLE: { status: 400, meaning: 'a damaged or truncated image file' },
  TOPK_INVALID: { status: 400, meaning: 'a multipart `topK` field that is not a whole number' },
  TOPK_OUT_OF_RANGE: { status: 400, meaning: '`topK` above the number of classes of the loaded model' },
  TOO_MANY_IMAGES: { status: 400, meaning: 'more photos than the route takes' },
  INVALID_FIELD: { status: 400, meaning: 'a field missing, of the wrong type or out of range' },
  INVALID_JSON: { status: 400, meaning: 'a body sent as application/json that is not JSON' },
  MULTIPART_MALFORMED: { status: 400, meaning: 'a multipart body that cannot be parsed' },
  BAD_CONTENT_LENGTH: { status: 400, meaning: 'a body whose size does not match Content-Length' },
  UNKNOWN_LABEL: { status: 400, meaning: 'a feedback label that is not one of the model’s labels' },
  RELOAD_FAILED: { status: 400, meaning: 'the bundle failed verification; the previous model keeps serving' },
  UNAUTHORIZED: {
    status: 401,
    meaning: 'missing or wrong admin bearer token',
    headers: { 'www-authenticate': 'Bearer realm="plantid-admin"' },
  },
  ADMIN_DISABLED: { status: 403, meaning: 'admin routes are off (no serve.adminToken configured)' },
  NOT_FOUND: { status: 404, meaning: 'no such route' },
  PREDICTION_NOT_FOUND: { status: 404, meaning: 'the prediction id is unknown or expired' },
  BUNDLE_NOT_FOUND: { status: 404, meaning: 'no bundle folder or registry model/alias/version by that name' },
  METHOD_NOT_ALLOWED: { status: 405, meaning: 'the path exists, the method does not (see the Allow header)' },
  RELOAD_IN_PROGRESS: { status: 409, meaning: 'another reload is running' },
  BODY_TOO_LARGE: { status: 413, meaning: 'a request body over the limit (serve.maxUploadMB)' },
  IMAGE_TOO_LARGE: { status: 413, meaning: 'a photo over serve.maxUploadMB' },
  IMAGE_TOO_MANY_PIXELS: { status: 413, meaning: 'a photo over serve.maxPixels pixels (decompression bomb)' },
  TOO_MANY_PARTS: { status: 413, meaning: 'more multipart parts or fields than the route reads' },
  UNSUPPORTED_CONTENT_TYPE: { status: 415, meaning: 'a Content-Type the route does not read' },
  IMAGE_UNSUPPORTED_TYPE: {
    status: 415,
    meaning: 'not an image, or a format this server cannot decode (e.g. HEIC)',
  },
  MODEL_LOAD_FAILED: {
    status: 422,
    meaning: 'the bundle is intact but its model cannot be loaded; the previous model keeps serving',
  },
  RATE_LIMITED: { status: 429, meaning: 'over serve.rateLimit; retry after the Retry-After header' },
  INTERNAL: { status: 500, meaning: 'a server fault; the server log has the details under the request id' },
  MODEL_NOT_LOADED: { status: 503, meaning: 'no model loaded yet (GET /readyz answers 503)' },
  SHUTTING_DOWN: { status: 503, meaning: 'the server is shutting down' },
  STORE_UNAVAILABLE: {
    status: 503,
    meaning: 'the shared prediction store (serve.store, Redis) is unreachable; nothing was written',
  },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

type Catalogue = typeof ERROR_CATALOGUE;
export type ApiErrorConstructor<C extends ErrorCode = ErrorCode> = FastifyErrorConstructor<
  { code: C; statusCode: Catalogue[C]['status'] },
  [message: string]
>;

/** One constructor per code, made with @fastify/error: `throw new errors.IMAGE_EMPTY('image is empty (0 bytes); …')`. */
export const errors = Object.fromEntries(
  Object.entries(ERROR_CATALOGUE).map(([code, entry]) => [code, createError(code, '%s', entry.status)]),
) as { [C in ErrorCode]: ApiErrorConstructor<C> };

export type ApiError = InstanceType<ApiErrorConstructor>;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CATALOGUE, code);
}

/** A catalogued error, thrown by our code (not a Fastify or plugin error with a code of its own). */
export function isApiError(error: unknown): error is ApiError {
  const e = error as { code?: unknown; statusCode?: unknown } | null;
  return isErrorCode(e?.code) && e.statusCode === ERROR_CATALOGUE[e.code].status;
}

/** The body of every error answer: `{ statusCode, code, error, message }`. */
export function errorBody(code: ErrorCode, message: string) {
  const statusCode = ERROR_CATALOGUE[code].status;
  return { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

/** What any route with a body may answer while Fastify reads it. */
export const BODY_ERRORS = [
  'INVALID_FIELD',
  'INVALID_JSON',
  'BAD_CONTENT_LENGTH',
  'BODY_TOO_LARGE',
  'UNSUPPORTED_CONTENT_TYPE',
] as const satisfies readonly ErrorCode[];

/**
 * The `response` entries of a route schema for the codes it may answer (INTERNAL is always
 * added), one per status: the body schema pins `code` to those codes, and the description names each.
 */
export function errorResponses(...codes: ErrorCode[]): Record<number, object> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set<ErrorCode>([...codes, 'INTERNAL'])) {
    const status = ERROR_CATALOGUE[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => {
      const headers = Object.assign({}, ...list.map((c) => headersOf(c))) as Record<string, string>;
      return [
        status,
        {
          description: list.map((c) => `\`${c}\`: ${ERROR_CATALOGUE[c].meaning}.`).join(' '),
          type: 'object',
          properties: {
            statusCode: { type: 'integer', enum: [status] },
            code: { type: 'string', enum: list },
            error: { type: 'string' },
            message: { type: 'string', description: 'What went wrong and what to do.' },
          },
          required: ['statusCode', 'code', 'error', 'message'],
          ...(Object.keys(headers).length
            ? { headers: Object.fromEntries(Object.keys(headers).map((h) => [h, { type: 'string' }])) }
            : {}),
        },
      ];
    }),
  );
}

export function headersOf(code: ErrorCode): Record<string, string> {
  const entry: CatalogueEntry = ERROR_CATALOGUE[code];
  return entry.headers ?? {};
}

/** The codes a route declared for `status` (read back from its response schema), or undefined when it declared none. */
export function declaredCodes(schema: unknown, status: number): readonly string[] | undefined {
  const response = (schema as { response?: Record<string, { properties?: { code?: { enum?: string[] } } }> })
    ?.response;
  return response?.[status]?.properties?.code?.enum;
}
