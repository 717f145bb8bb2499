import pMap, { pMapIterable } from 'p-map';

/** Maps `items` with at most `concurrency` calls of `fn` in flight; results in input order. */
export function mapPool<T, R>(
  items: Iterable<T>,
  fn: (item: T, index: number) => Promise<R>,
  options: { concurrency: number; signal?: AbortSignal },
): Promise<R[]> {
  return pMap(items, fn, {
    concurrency: Math.max(1, Math.floor(options.concurrency)),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/**
 * Streams `fn`'s results in input order, with at most `concurrency` calls in flight ahead of the
 * consumer (decoding ahead while the caller works on earlier results). An error surfaces at
 * its item's position.
 */
export function mapOrdered<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  fn: (item: T, index: number) => Promise<R>,
  concurrency: number,
): AsyncIterable<R> {
  return pMapIterable(items, fn, { concurrency: Math.max(1, Math.floor(concurrency)) });
}
