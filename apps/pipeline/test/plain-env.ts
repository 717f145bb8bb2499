/**
 * The environment for a CLI child whose output a test reads: no colours. FORCE_COLOR is dropped,
 * not only outvoted: with both set, Node itself warns on stderr.
 */
export function plainEnv(): NodeJS.ProcessEnv {
  const { FORCE_COLOR: _forced, ...env } = process.env;
  return { ...env, NO_COLOR: '1' };
}
