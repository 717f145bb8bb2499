import type { BundleManifest, Label, MetricsFile, ParityResult } from '@plantid/core';
import type { DatasetSummary } from './data-summary.js';

export interface ModelCardInput {
  name: string;
  version: number;
  created: Date;
  labels: readonly Label[];
  data: DatasetSummary;
  /** Evaluate's metrics.json, or null when evaluate did not run. */
  metrics: unknown;
  /** The pretrained weights: family, where they come from (train.json), licence (null = not declared). */
  backbone: { family: string; source: string; license: string | null };
  preprocess: { size: number; resize: string; normalize: unknown };
  parity: ParityResult | null;
  quantization: BundleManifest['quantization'];
  /** Bytes of each model file by variant, for the formats table. */
  modelBytes: Partial<Record<string, number>>;
  intendedUse?: string | undefined;
  limitations?: readonly string[];
}

/** Classes with fewer test images than this get a "metrics uncertain" note. */
const FEW_TEST_IMAGES = 10;

/** Renders card.md: what the model is for, what it was trained on, how good it is, its limits and licences. */
export function renderModelCard(input: ModelCardInput): string {
  const { data, labels } = input;
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);
  const n = labels.length;

  push(`# Model card: ${input.name} v${input.version}`, '');
  push(
    `Image classifier for ${n} plant classes, transfer-learned from a pretrained ${input.backbone.family} backbone. ` +
      `Exported ${input.created.toISOString()} by plantid.`,
    '',
  );

  push('## Intended use', '');
  push(
    input.intendedUse?.trim() ||
      `Suggesting which of the ${n} classes below a photo shows, for a person to confirm. ` +
        'Input: one RGB photo of the same kind as the training photos; output: a probability per class.',
    '',
  );

  push('## Data', '');
  push(
    `${data.images} images in the dataset manifest: ${data.splits.train} train, ${data.splits.val} validation, ` +
      `${data.splits.test} test` +
      (data.excluded
        ? `; ${data.excluded} excluded by quality checks (corrupt, too small, duplicates).`
        : '.'),
    '',
  );
  if (data.sources.some((s) => s.source)) {
    push('| source | images |', '|---|---:|');
    for (const s of data.sources) push(`| ${cell(s.source ?? 'unnamed')} | ${s.images} |`);
    push('');
  }

  push('## Classes', '');
  push('| index | id | name | train | val | test |', '|---:|---|---|---:|---:|---:|');
  for (const label of labels) {
    const c = data.perClass[label.id] ?? { train: 0, val: 0, test: 0 };
    push(`| ${label.index} | ${cell(label.id)} | ${cell(label.name)} | ${c.train} | ${c.val} | ${c.test} |`);
  }
  push('');

  push('## Metrics', '');
  const figures = headlineMetrics(input.metrics);
  if (input.metrics === null || input.metrics === undefined) {
    push(
      'The evaluate stage did not run for this model: it has no measured accuracy. Do not deploy it blind.',
      '',
    );
  } else if (figures.length) {
    push('Measured by the evaluate stage on the held-out test split.', '');
    push('| metric | value |', '|---|---:|');
    for (const [key, value] of figures) push(`| ${cell(key)} | ${formatNumber(value)} |`);
    push('');
  }

  push('## Formats and parity', '');
  push(
    `Input: NHWC float32 [batch, ${input.preprocess.size}, ${input.preprocess.size}, 3], ` +
      `resize \`${input.preprocess.resize}\`, normalise \`${JSON.stringify(input.preprocess.normalize)}\` ` +
      '(preprocess.json; use the same function that training used).',
    '',
  );
  push(
    '| variant | bytes | max abs diff vs tfjs | top-1 agreement | accuracy change | parity |',
    '|---|---:|---:|---:|---:|---|',
  );
  for (const [variant, bytes] of Object.entries(input.modelBytes)) {
    const p = input.parity?.variants[variant];
    const change =
      p?.accuracyChange === undefined
        ? '–'
        : `${p.accuracyChange >= 0 ? '+' : ''}${(p.accuracyChange * 100).toFixed(1)} pt`;
    push(
      `| ${variant} | ${bytes ?? ''} | ${p ? p.maxAbsDiff.toExponential(2) : '–'} | ` +
        `${p ? `${(p.top1Agreement * 100).toFixed(1)} %` : '–'} | ${change} | ${p ? (p.passed ? 'pass' : 'FAIL') : '–'} |`,
    );
  }
  push('');
  if (input.parity) {
    push(
      `Parity measured on ${input.parity.samples} real test images against the tfjs model; ` +
        'accuracy change = variant top-1 accuracy minus tfjs top-1 accuracy on those images.',
      '',
    );
  }

  push('## Limitations', '');
  const limits = [
    `Closed set: it always answers one of the ${n} classes. A photo of anything else still gets a class, ` +
      'often with high probability; check the probability and let people reject the answer.',
    'Trained on the photos described above; other cameras, backgrounds, lighting, growth stages or whole plants ' +
      'instead of single leaves may lower accuracy without warning.',
    'Not for decisions about eating, medicinal use, dosage or toxicity of a plant: a wrong answer can harm.',
  ];
  const fewTest = labels.filter((l) => (data.perClass[l.id]?.test ?? 0) < FEW_TEST_IMAGES);
  if (fewTest.length === n) {
    limits.push(
      `Every class has fewer than ${FEW_TEST_IMAGES} test images: per-class figures are uncertain.`,
    );
  } else if (fewTest.length) {
    limits.push(
      `Fewer than ${FEW_TEST_IMAGES} test images for: ${fewTest.map((l) => l.name).join(', ')}; ` +
        'their measured accuracy is uncertain.',
    );
  }
  for (const [variant, q] of Object.entries(input.quantization)) {
    const p = input.parity?.variants[variant];
    if (p && p.top1Agreement < 1) {
      limits.push(
        `The ${variant} variant disagrees with the fp32 model on ${((1 - p.top1Agreement) * 100).toFixed(1)} % ` +
          `of parity images (${q.bytes} bytes).`,
      );
    }
  }
  limits.push(...(input.limitations ?? []));
  for (const l of limits) push(`- ${l}`);
  push('');

  push('## Licences', '');
  push('Training data (from the dataset manifest):', '');
  for (const { license, images } of data.licences) {
    push(
      license
        ? `- ${license}: ${images} images`
        : `- not declared: ${images} images — check the source's terms before sharing this model`,
    );
  }
  push('');
  push(
    `Pretrained weights (${input.backbone.family}, ${input.backbone.source}): ` +
      (input.backbone.license ?? 'not declared — set model.license in config.yaml'),
    '',
  );
  push(
    'The weights in this bundle are derived from both the pretrained weights and the training data; ' +
      'their terms (attribution, share-alike, non-commercial) carry over to anyone you give the model to.',
    '',
  );
  return lines.join('\n');
}

/**
 * What the card's metrics table shows of evaluate's metrics.json: test accuracy (top-1, top-k),
 * macro F1, calibrated ECE and the temperature, and how many test images they rest on.
 */
export function cardMetrics(metrics: MetricsFile): Record<string, unknown> {
  const { test, calibration } = metrics;
  return {
    top1: test.top1,
    ...Object.fromEntries(
      Object.entries(test.topK)
        .filter(([k]) => k !== '1')
        .map(([k, v]) => [`top${k}`, v]),
    ),
    macroF1: test.macro.f1,
    ece: test.eceCalibrated,
    calibration: { temperature: calibration.temperature },
    testImages: test.count,
  };
}

/**
 * Numeric figures from metrics.json up to two levels deep (e.g. `top1`, `calibration.ece`),
 * skipping per-class maps and arrays so the card stays a short table whatever evaluate adds.
 */
export function headlineMetrics(metrics: unknown): [string, number][] {
  const out: [string, number][] = [];
  const walk = (value: unknown, path: string[], depth: number) => {
    if (typeof value === 'number' && Number.isFinite(value)) {
      out.push([path.join('.'), value]);
      return;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value) || depth > 2) return;
    const entries = Object.entries(value as Record<string, unknown>);
    if (depth > 0 && entries.length > 12) return;
    for (const [k, v] of entries) walk(v, [...path, k], depth + 1);
  };
  walk(metrics, [], 0);
  return out;
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 0.001 ? value.toFixed(4) : value.toExponential(2);
}

/** Escapes characters that would break a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
