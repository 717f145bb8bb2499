import { isAbsolute, resolve } from 'node:path';

/** True for http(s):// and other scheme URLs, which pass through `resolvePath` unchanged. */
export function isUrl(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
}

/**
 * Resolves a path from the config against the config file's folder (`ctx.configDir`),
 * so a config means the same thing whatever the working directory. URLs pass through.
 */
export function resolvePath(ctx: { configDir: string }, path: string): string {
  if (isUrl(path) || isAbsolute(path)) return path;
  if (path === '~' || path.startsWith('~/')) return resolve(process.env.HOME ?? '/', path.slice(2));
  return resolve(ctx.configDir, path);
}
