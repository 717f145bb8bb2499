export interface RetryOptions {
  /** Attempts in all, the first one included (default 4). */
  attempts?: number;
  /** Wait before the second attempt; doubles after each further one (default 500 ms). */
  delayMs?: number;
  /** Cap on one wait (default none). */
  maxDelayMs?: number;
  /** Random spread of each wait, ± this fraction (default 0: exact waits). */
  jitter?: number;
  /**
   * Whether a failed attempt may be repeated (default: always). Say no for errors retrying cannot
   * fix (a 404) and for requests that may already have taken effect (a create that timed out).
   */
  retryable?: (error: unknown, attempt: number) => boolean;
  /** Told before each wait, e.g. to log "retrying in 1000 ms". */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
}

/** The wait before attempt `attempt + 1` (attempt counts from 1), without jitter. */
export function backoffDelay(
  attempt: number,
  options: Pick<RetryOptions, 'delayMs' | 'maxDelayMs'> = {},
): number {
  return Math.min(
    options.maxDelayMs ?? Number.POSITIVE_INFINITY,
    (options.delayMs ?? 500) * 2 ** (attempt - 1),
  );
}

/**
 * Calls `fn` until it succeeds, with exponential backoff between attempts; rethrows the last
 * error when the attempts run out or `retryable` says no. `fn` gets the attempt number (from 1).
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 4);
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= attempts || !(options.retryable?.(error, attempt) ?? true)) throw error;
      const jitter = options.jitter ?? 0;
      const delay = Math.round(backoffDelay(attempt, options) * (1 - jitter + Math.random() * 2 * jitter));
      options.onRetry?.(error, attempt, delay);
      await new Promise<void>((resolve) => setTimeout(resolve, delay));
    }
  }
}
