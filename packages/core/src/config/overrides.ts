import { parse } from 'yaml';
import { UsageError } from '../errors.js';

export interface Override {
  path: string[];
  value: unknown;
  /** The flag as the user typed it, for error messages. */
  source: string;
}

/** Parses `key.path=value`; the value is read as a YAML scalar or flow collection (`1e-3`, `true`, `[1, 3]`, `fast`). */
export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  const key = eq < 0 ? '' : text.slice(0, eq).trim();
  if (eq < 0 || key === '' || key.split('.').some((part) => part === '')) {
    throw new UsageError(`--set ${text}: expected key.path=value`, {
      hint: 'e.g. --set train.head.lr=0.001',
    });
  }
  const raw = text.slice(eq + 1);
  let value: unknown;
  try {
    value = raw.trim() === '' ? '' : parse(raw);
  } catch (error) {
    throw new UsageError(
      `--set ${text}: value is not valid YAML: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  return { path: key.split('.'), value, source: `--set ${text}` };
}

/** Writes `override.value` at its path inside `target`, creating objects on the way; array items by index. */
export function applyOverride(target: Record<string, unknown>, override: Override): void {
  let node: unknown = target;
  const { path } = override;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    const last = i === path.length - 1;
    const container = node as Record<string, unknown> | unknown[];
    if (Array.isArray(container)) {
      const index = Number(key);
      if (!Number.isInteger(index) || index < 0 || index > container.length) {
        throw new UsageError(
          `${override.source}: ${path.slice(0, i).join('.')} is a list; use an index 0..${container.length}`,
        );
      }
      if (last) container[index] = override.value;
      else node = container[index] ??= {};
      continue;
    }
    if (last) {
      container[key] = override.value;
      return;
    }
    const next = container[key];
    if (next === undefined || next === null) node = container[key] = {};
    else if (typeof next === 'object') node = next;
    else {
      throw new UsageError(
        `${override.source}: ${path.slice(0, i + 1).join('.')} is ${JSON.stringify(next)}, not a section`,
      );
    }
  }
}
