import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { UsageError } from '../errors.js';
import { hashJson } from '../hash.js';
import { interpolate } from './interpolate.js';
import { configErrorMap, formatIssue } from './issues.js';
import { applyOverride, type Override, parseOverride } from './overrides.js';
import { configSchema, type PlantidConfig } from './schema.js';

export interface LoadConfigOptions {
  /** `key.path=value` strings from `--set`, applied in order after the file. */
  overrides?: readonly string[];
  /** Environment for `${VAR}` interpolation; process.env by default. */
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  /** Validated config with defaults filled in. */
  config: PlantidConfig;
  /** Absolute path of the config file. */
  configPath: string;
  /** Folder of the config file: relative paths in the config resolve against it. */
  configDir: string;
  /** The path as the user gave it, for messages. */
  displayPath: string;
  /** hashJson of the validated config. */
  hash: string;
}

/**
 * Reads config.yaml, expands `${VAR}` / `${VAR:-default}` in string values, applies `--set`
 * overrides, fills defaults and validates against the one schema. Every problem is a
 * one-line UsageError naming the file, key path, bad value and what was expected.
 */
export async function loadConfig(path: string, options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const configPath = resolve(path);
  const displayPath = isAbsolute(path) ? path : relative(process.cwd(), configPath) || path;
  const text = await readConfigText(configPath, displayPath);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const pos = yamlError.linePos?.[0];
    const at = pos ? `:${pos.line}:${pos.col}` : '';
    const reason = yamlError.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new UsageError(`invalid YAML: ${reason}`, { where: `${displayPath}${at}`, hint: 'fix the file' });
  }
  const parsed: unknown = doc.toJS() ?? {};
  if (typeof parsed !== 'object' || Array.isArray(parsed) || parsed === null) {
    throw new UsageError('expected key: value pairs at the top level', { where: displayPath });
  }
  const env = options.env ?? process.env;
  const data = interpolateTree(parsed as Record<string, unknown>, env, displayPath, []) as Record<
    string,
    unknown
  >;

  const overrides: Override[] = (options.overrides ?? []).map(parseOverride);
  for (const override of overrides) applyOverride(data, override);

  const result = configSchema.safeParse(data, { error: configErrorMap });
  if (!result.success) {
    const origin = (issuePath: readonly PropertyKey[]): string | undefined => {
      const key = issuePath.map(String);
      const fromFlag = [...overrides]
        .reverse()
        .find((o) => o.path.every((p, i) => key[i] === undefined || key[i] === p));
      if (fromFlag) return `from ${fromFlag.source}`;
      const line =
        lineOf(doc.getIn(issuePath as PropertyKey[], true) as Node | undefined, lineCounter) ??
        nearestLine(doc, issuePath, lineCounter);
      return line ? `line ${line}` : undefined;
    };
    const issues = result.error.issues;
    const first = formatIssue(issues[0]!, { schema: configSchema, input: data, origin });
    const more = issues.length > 1 ? `; ${issues.length - 1} more problem(s) after fixing this one` : '';
    throw new UsageError(`${first.path}: ${first.message}`, {
      where: displayPath,
      ...(first.origin || more ? { hint: `${first.origin ?? ''}${more}`.replace(/^; /, '') } : {}),
    });
  }
  return {
    config: result.data,
    configPath,
    configDir: dirname(configPath),
    displayPath,
    hash: hashJson(result.data),
  };
}

async function readConfigText(configPath: string, displayPath: string): Promise<string> {
  const info = await stat(configPath).catch(() => undefined);
  if (!info)
    throw new UsageError('config file not found', {
      where: displayPath,
      hint: 'check the path given to --config',
    });
  if (!info.isFile()) throw new UsageError('config path is not a file', { where: displayPath });
  return readFile(configPath, 'utf8');
}

function interpolateTree(node: unknown, env: NodeJS.ProcessEnv, file: string, path: string[]): unknown {
  if (typeof node === 'string') {
    if (!node.includes('${')) return node;
    const { value, whole } = interpolate(node, env, `${file}: ${path.join('.')}`);
    // `port: ${PORT:-8080}` should be a number, as if written without the variable.
    if (whole && /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value.trim())) return Number(value);
    if (whole && (value === 'true' || value === 'false')) return value === 'true';
    return value;
  }
  if (Array.isArray(node))
    return node.map((item, i) => interpolateTree(item, env, file, [...path, String(i)]));
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [k, interpolateTree(v, env, file, [...path, k])]),
    );
  }
  return node;
}

function lineOf(node: Node | undefined, lineCounter: LineCounter): number | undefined {
  if (!node || !(isScalar(node) || isMap(node) || isSeq(node)) || !node.range) return undefined;
  return lineCounter.linePos(node.range[0]).line;
}

/** The line of the deepest part of `path` present in the file (e.g. the section holding an unknown key). */
function nearestLine(
  doc: ReturnType<typeof parseDocument>,
  path: readonly PropertyKey[],
  lineCounter: LineCounter,
) {
  for (let n = path.length - 1; n > 0; n--) {
    const line = lineOf(doc.getIn(path.slice(0, n) as PropertyKey[], true) as Node | undefined, lineCounter);
    if (line) return line;
  }
  return undefined;
}
