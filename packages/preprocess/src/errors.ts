import { UsageError } from '@plantid/core';

/**
 * The bytes are not an image sharp can decode (corrupt, truncated, unsupported format) or exceed
 * the pixel limit. A UsageError (exit 2): the input is bad, not the work; servers map it to 4xx.
 */
export class ImageDecodeError extends UsageError {
  readonly code = 'IMAGE_UNDECODABLE' as const;
  readonly reason: 'undecodable' | 'too_large';
  constructor(
    message: string,
    options: { where?: string; cause?: unknown; reason?: 'undecodable' | 'too_large' } = {},
  ) {
    super(message, {
      where: options.where,
      cause: options.cause,
      hint: 'check the file is a JPEG, PNG, WebP, GIF, TIFF or AVIF image',
    });
    this.reason = options.reason ?? 'undecodable';
  }
}
