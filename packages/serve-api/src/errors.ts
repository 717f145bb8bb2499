/**
 * An error the client caused or can act on. Fastify sends `statusCode` and `code` as they are,
 * so every 4xx body reads `{ statusCode, code, error, message }` with a message that says what to do.
 */
export class ApiError extends Error {
  readonly statusCode: number;
  readonly code: string;
  /** Extra response headers (e.g. WWW-Authenticate). */
  readonly headers: Record<string, string>;

  constructor(statusCode: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = statusCode;
    this.code = code;
    this.headers = headers;
  }
}

export const badRequest = (code: string, message: string) => new ApiError(400, code, message);
export const unsupportedMedia = (code: string, message: string) => new ApiError(415, code, message);
export const tooLarge = (code: string, message: string) => new ApiError(413, code, message);
export const notFound = (code: string, message: string) => new ApiError(404, code, message);
export const unavailable = (code: string, message: string) => new ApiError(503, code, message);
