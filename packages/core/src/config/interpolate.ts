import { UsageError } from '../errors.js';

const pattern = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface Interpolated {
  value: string;
  /** True when the whole string was one `${...}` expression, so the result may be typed (number, bool). */
  whole: boolean;
}

/**
 * Expands `${VAR}` and `${VAR:-default}` (default when unset or empty, as in POSIX sh);
 * `$${` is a literal `${`. An unset variable without a default is a UsageError naming `where`.
 */
export function interpolate(text: string, env: NodeJS.ProcessEnv, where: string): Interpolated {
  let whole = false;
  const value = text.replace(pattern, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    if (match === text) whole = true;
    const set = env[name!];
    if (set !== undefined && set !== '') return set;
    if (fallback !== undefined) return fallback;
    throw new UsageError(`environment variable ${name} is not set`, {
      where,
      hint: `set it, or write \${${name}:-default}`,
    });
  });
  return { value, whole };
}
