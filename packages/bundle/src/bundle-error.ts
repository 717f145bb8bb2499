import { UsageError } from '@plantid/core';

export type BundleErrorCode =
  | 'not-a-bundle'
  | 'manifest'
  | 'schema'
  | 'missing'
  | 'hash'
  | 'size'
  | 'unlisted';

/**
 * A bundle that is damaged, incomplete or made for another plantid: exit 2, naming the
 * file. Servers refuse to start on it rather than serve a model they cannot vouch for.
 */
export class BundleError extends UsageError {
  readonly code: BundleErrorCode;
  /** Absolute path of the offending file (or the bundle folder). */
  readonly file: string;

  constructor(code: BundleErrorCode, file: string, message: string, hint?: string) {
    super(message, { where: file, hint });
    this.code = code;
    this.file = file;
  }
}
