import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, resolve } from 'node:path';
import {
  BUNDLE_FORMAT,
  BUNDLE_SCHEMA_VERSION,
  type BundleManifest,
  bundleManifestSchema,
  ContractError,
  expectation,
  fieldPath,
  type Label,
  labelsSchema,
  listFilesRecursive,
  OPEN_SET_FILE,
  type OpenSetParams,
  openSetFiles,
  openSetParamsSchema,
  type PreprocessSpec,
  parseContract,
  parsePreprocessSpec,
  sha256File,
} from '@plantid/core';
import { z } from 'zod';
import { BundleError } from './bundle-error.js';
import { BUNDLE_FILES, type ModelVariant } from './layout.js';

/** The parts of evaluate's metrics.json a server needs (`calibration.temperature`); the rest is kept as read. */
export const bundleMetricsSchema = z.looseObject({
  calibration: z.looseObject({ temperature: z.number().positive().optional() }).optional(),
});
export type BundleMetrics = z.infer<typeof bundleMetricsSchema>;

export interface Bundle {
  /** Absolute path of the bundle folder. */
  dir: string;
  manifest: BundleManifest;
  name: string;
  version: number;
  labels: Label[];
  preprocess: PreprocessSpec;
  /** null when evaluate did not run. */
  metrics: BundleMetrics | null;
  /** Softmax temperature from calibration; 1 when the bundle has no calibration. */
  temperature: number;
  /** openset.json (score, its files beside it, status thresholds); null in bundles exported without it. */
  openSet: OpenSetParams | null;
  /** Absolute path of the model card. */
  cardPath: string;
  /** Model variants present, best first (fp32, fp16, int8, tfjs). */
  variants: ModelVariant[];
  /** Absolute path of a variant's model file (.onnx, or tfjs/model.json); throws when absent. */
  modelPath(variant: ModelVariant): string;
}

const variantOrder: ModelVariant[] = ['fp32', 'fp16', 'int8', 'tfjs'];

/**
 * Opens a bundle and proves it is whole: schema version known, every file listed in
 * manifest.json present with the recorded size and sha256, nothing unlisted. Refuses with
 * a BundleError naming the file otherwise.
 */
export async function readBundle(dir: string): Promise<Bundle> {
  const root = resolve(dir);
  const manifest = await readManifest(root);
  await verifyFiles(root, manifest);

  const labels = await contractFile(root, BUNDLE_FILES.labels, (value, file) =>
    parseContract(labelsSchema, value, file),
  );
  if (labels.length !== manifest.model.outputSize) {
    throw new BundleError(
      'manifest',
      join(root, BUNDLE_FILES.labels),
      `labels.json has ${labels.length} labels but manifest.json says the model outputs ${manifest.model.outputSize}`,
    );
  }
  const preprocess = await contractFile(root, BUNDLE_FILES.preprocess, parsePreprocessSpec);
  const metrics =
    BUNDLE_FILES.metrics in manifest.files
      ? await contractFile(root, BUNDLE_FILES.metrics, (value, file) =>
          parseContract(bundleMetricsSchema, value, file),
        )
      : null;
  const temperature = metrics?.calibration?.temperature;
  const openSet =
    OPEN_SET_FILE in manifest.files
      ? await contractFile(root, OPEN_SET_FILE, (value, file) =>
          parseContract(openSetParamsSchema, value, file),
        )
      : null;
  for (const file of openSet ? openSetFiles(openSet) : []) {
    if (!(file in manifest.files))
      throw new BundleError(
        'missing',
        join(root, file),
        `openset.json names ${file} but the bundle has no such file`,
      );
  }

  const variants = variantOrder.filter((v) => manifest.model.variants[v] !== undefined);
  return {
    dir: root,
    manifest,
    name: manifest.name,
    version: manifest.version,
    labels,
    preprocess,
    metrics,
    temperature: typeof temperature === 'number' && temperature > 0 ? temperature : 1,
    openSet,
    cardPath: join(root, BUNDLE_FILES.card),
    variants,
    modelPath(variant) {
      const file = manifest.model.variants[variant];
      if (!file) {
        throw new BundleError(
          'missing',
          root,
          `bundle has no ${variant} model (it has: ${variants.join(', ')})`,
          'pick one of those or re-export with it enabled in config.export',
        );
      }
      return join(root, file);
    },
  };
}

async function readManifest(root: string): Promise<BundleManifest> {
  const path = join(root, BUNDLE_FILES.manifest);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    const isDir = await stat(root).then(
      (s) => s.isDirectory(),
      () => false,
    );
    throw new BundleError(
      'not-a-bundle',
      isDir ? path : root,
      isDir ? 'not a plantid bundle: manifest.json is missing' : 'bundle folder does not exist',
      'point at a folder written by `pipeline run` (export stage) or use name@alias with the registry',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new BundleError(
      'manifest',
      path,
      'manifest.json is not valid JSON (damaged?)',
      're-export the bundle',
    );
  }
  const head = (raw ?? {}) as { format?: unknown; schemaVersion?: unknown };
  if (head.format !== BUNDLE_FORMAT) {
    throw new BundleError(
      'schema',
      path,
      `not a plantid bundle manifest (format is ${JSON.stringify(head.format)})`,
    );
  }
  if (head.schemaVersion !== BUNDLE_SCHEMA_VERSION) {
    const v = head.schemaVersion;
    const newer = typeof v === 'number' && v > BUNDLE_SCHEMA_VERSION;
    throw new BundleError(
      'schema',
      path,
      `bundle schema version ${JSON.stringify(v)} is not supported (this plantid reads version ${BUNDLE_SCHEMA_VERSION})`,
      newer ? 'upgrade plantid to read it' : 're-export the model with this plantid',
    );
  }
  const parsed = bundleManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BundleError(
      'manifest',
      path,
      `manifest.json field ${fieldPath(issue.path)}: ${expectation(issue)}`,
      're-export the bundle',
    );
  }
  const manifest = parsed.data;
  for (const [variant, file] of Object.entries(manifest.model.variants)) {
    if (!(file in manifest.files)) {
      throw new BundleError(
        'manifest',
        path,
        `manifest.json names ${file} as the ${variant} model but does not list it`,
      );
    }
  }
  for (const required of [BUNDLE_FILES.labels, BUNDLE_FILES.preprocess, BUNDLE_FILES.card]) {
    if (!(required in manifest.files)) {
      throw new BundleError(
        'missing',
        join(root, required),
        `${required} is missing from the bundle`,
        're-export it',
      );
    }
  }
  return manifest;
}

async function verifyFiles(root: string, manifest: BundleManifest): Promise<void> {
  for (const [rel, expected] of Object.entries(manifest.files)) {
    if (isAbsolute(rel) || normalize(rel).startsWith('..')) {
      throw new BundleError(
        'manifest',
        join(root, BUNDLE_FILES.manifest),
        `manifest.json lists a path outside the bundle: ${rel}`,
      );
    }
    const path = join(root, rel);
    const size = await stat(path).then(
      (s) => (s.isFile() ? s.size : null),
      () => null,
    );
    if (size === null) {
      throw new BundleError(
        'missing',
        path,
        `${rel} is listed in manifest.json but missing`,
        'copy the whole bundle folder again',
      );
    }
    if (size !== expected.bytes) {
      throw new BundleError(
        'size',
        path,
        `${rel} is ${size} bytes, manifest.json says ${expected.bytes} (truncated or changed)`,
        'copy the bundle again or re-export it',
      );
    }
    if ((await sha256File(path)) !== expected.sha256) {
      throw new BundleError(
        'hash',
        path,
        `${rel} does not match its sha256 in manifest.json (damaged or changed)`,
        'copy the bundle again or re-export it',
      );
    }
  }
  for (const rel of await listFilesRecursive(root)) {
    if (rel !== BUNDLE_FILES.manifest && !(rel in manifest.files)) {
      throw new BundleError(
        'unlisted',
        join(root, rel),
        `${rel} is not listed in manifest.json; a bundle is sealed when written`,
        'remove the extra file or re-export the bundle',
      );
    }
  }
}

/** A bundle file checked against its contract; a break is a BundleError naming the file and the field. */
async function contractFile<T>(
  root: string,
  rel: string,
  parse: (value: unknown, file: string) => T,
): Promise<T> {
  const path = join(root, rel);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    throw new BundleError('manifest', path, `${rel} is not valid JSON`, 're-export the bundle');
  }
  try {
    return parse(value, path);
  } catch (error) {
    if (error instanceof ContractError)
      throw new BundleError('manifest', path, `${rel} field ${error.message}`, 're-export the bundle');
    throw error;
  }
}
