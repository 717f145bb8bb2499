import { stripTypeScriptTypes } from 'node:module';

/**
 * The web page's script is written in TypeScript (erasable syntax only) and served as
 * JavaScript by Node's own type stripper: no bundler, no build step, one source file.
 * Node flags the API as experimental; that one warning is silenced here, others pass through.
 */
export function typescriptToJavaScript(source: string): string {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.includes('stripTypeScriptTypes')) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return stripTypeScriptTypes(source, { mode: 'strip' });
  } finally {
    process.emitWarning = emitWarning;
  }
}
