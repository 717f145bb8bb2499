import type { Multipart } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { type ApiError, errors } from './errors.js';

export interface UploadedImage {
  bytes: Buffer;
  /** Where it came from, for messages: `image`, `images[2]`. */
  field: string;
  filename?: string;
}

export interface PredictInput {
  images: UploadedImage[];
  /** topK from a multipart field or the JSON body (the query string is read by the route). */
  topK?: number;
  /** What each photo shows (POST /v1/identify), as sent: multipart fields `organs` in photo order, or JSON `organs`. */
  organs?: string[];
}

export interface InputLimits {
  maxBytes: number;
  maxImages: number;
  /** Accept `organs` (POST /v1/identify). */
  organs?: boolean;
  /** The TOO_MANY_IMAGES message when more than maxImages photos come. */
  tooMany?: string;
}

/**
 * Reads the image(s) of a predict request, whichever way they came: multipart field(s)
 * `image`, a JSON body `{ image | images, topK }` with base64 (data: URLs accepted), or a raw
 * image body (`Content-Type: image/*` or application/octet-stream).
 */
export async function readPredictInput(
  request: FastifyRequest,
  limits: InputLimits,
  batch: boolean,
): Promise<PredictInput> {
  if (request.isMultipart()) return readMultipart(request, limits, batch);
  const body = request.body;
  if (Buffer.isBuffer(body)) return { images: [{ bytes: body, field: 'body' }] };
  const json = (body ?? {}) as { image?: string; images?: string[]; topK?: number; organs?: string[] };
  if (batch) {
    if (!json.images) throw missing(batch);
    return {
      images: json.images.map((b64, i) => ({ bytes: fromBase64(b64), field: `images[${i}]` })),
      topK: json.topK,
      ...(limits.organs && json.organs ? { organs: json.organs } : {}),
    };
  }
  if (json.image === undefined) throw missing(batch);
  return { images: [{ bytes: fromBase64(json.image), field: 'image' }], topK: json.topK };
}

async function readMultipart(
  request: FastifyRequest,
  limits: InputLimits,
  batch: boolean,
): Promise<PredictInput> {
  const images: UploadedImage[] = [];
  let topK: number | undefined;
  const organs: string[] = [];
  const parts = request.parts({
    limits: {
      fileSize: limits.maxBytes,
      files: limits.maxImages,
      fields: 8 + (limits.organs ? limits.maxImages : 0),
      fieldSize: 1024,
      parts: limits.maxImages * 2 + 8,
    },
  });
  try {
    for await (const part of parts) await take(part);
  } catch (error) {
    if ((error as { code?: string }).code !== 'FST_FILES_LIMIT') throw error;
    throw new errors.TOO_MANY_IMAGES(
      limits.tooMany ??
        (batch
          ? `more than ${limits.maxImages} images in one batch (serve.maxBatchImages); split the request`
          : 'POST /v1/predict takes one image; use POST /v1/predict/batch for several'),
    );
  }
  if (images.length === 0) throw missing(batch);
  return { images, topK, ...(limits.organs && organs.length ? { organs } : {}) };

  async function take(part: Multipart): Promise<void> {
    if (part.type === 'file') {
      if (part.fieldname !== 'image' && part.fieldname !== 'images') {
        await part.toBuffer().catch(() => undefined);
        throw new errors.IMAGE_MISSING(
          `unexpected file field "${part.fieldname}"; send the photo in multipart field "image"`,
        );
      }
      const field = batch ? `images[${images.length}]` : 'image';
      images.push({ bytes: await part.toBuffer(), field, filename: part.filename || undefined });
    } else if (part.fieldname === 'topK') {
      const n = Number(part.value);
      if (!Number.isInteger(n))
        throw new errors.TOPK_INVALID(`topK must be a whole number, got ${JSON.stringify(part.value)}`);
      topK = n;
    } else if (limits.organs && part.fieldname === 'organs') {
      organs.push(
        ...String(part.value)
          .split(',')
          .map((o) => o.trim()),
      );
    } else {
      // The form's schema lists image and topK only (additionalProperties: false), so extras are refused, not ignored.
      throw new errors.INVALID_FIELD(
        part.fieldname === 'image' || part.fieldname === 'images'
          ? `multipart field "${part.fieldname}" is text; attach the photo as a file`
          : `unexpected multipart field "${part.fieldname}"; the form takes "image" (a file) and "topK"`,
      );
    }
  }
}

function missing(batch: boolean): ApiError {
  return batch
    ? new errors.IMAGE_MISSING(
        'no images: send multipart fields "image" (repeat it per photo) or JSON { "images": ["<base64>", ...] }',
      )
    : new errors.IMAGE_MISSING(
        'no image: send multipart field "image" (a photo file) or JSON { "image": "<base64>" }',
      );
}

/** Base64 (standard or URL-safe, with or without a data: URL prefix) to bytes; rejects anything else. */
export function fromBase64(text: string): Buffer {
  const data = text.startsWith('data:') ? text.slice(text.indexOf(',') + 1) : text;
  const compact = data.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact)) {
    throw new errors.IMAGE_NOT_BASE64('image is not valid base64; encode the file bytes with base64');
  }
  return Buffer.from(compact, 'base64');
}
