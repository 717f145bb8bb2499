/**
 * MLflow refuses metric/param/tag keys outside this alphabet and values over these lengths,
 * and a refused event would block every later one in a sync. So keys and values are made
 * acceptable when logged, identically for the local store and the server.
 */
const BAD_KEY_CHARS = /[^\w./\- :]/g;
export const MAX_PARAM_VALUE = 6000;
export const MAX_TAG_VALUE = 8000;
export const MAX_KEY = 250;

export function safeKey(key: string): string {
  const cleaned = key.replace(BAD_KEY_CHARS, '_').slice(0, MAX_KEY);
  return cleaned.length > 0 ? cleaned : '_';
}

export function clip(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}
