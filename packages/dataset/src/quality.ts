import type { PlantidConfig } from '@plantid/core';
import type { Analysis } from './analyse.js';

type DataConfig = PlantidConfig['data'];

/** Flags that keep an image out of training. */
export const QUALITY_FLAGS = ['corrupt', 'too_small', 'extreme_aspect', 'near_uniform', 'blurry'] as const;
export type QualityFlag = (typeof QUALITY_FLAGS)[number];

export interface BlurThreshold {
  value: number | null;
  auto: boolean;
  /** How it was chosen, in words, for the log line and the report. */
  rule: string;
  median: number | null;
}

const AUTO_MIN_IMAGES = 8;
const AUTO_SIGMAS = 3;
/** Never call an image blurry when it is within this factor of the median sharpness. */
const AUTO_MIN_FACTOR = 4;

/**
 * Blur threshold from the data's own distribution: sharpness (variance of the Laplacian) is
 * roughly log-normal across a photo collection, so the cut is the median minus 3 robust
 * standard deviations (1.4826 × MAD) on a log scale, but at least 4× below the median.
 */
export function blurThreshold(blurs: number[], configured: DataConfig['blur']['threshold']): BlurThreshold {
  const sorted = blurs.filter((b) => b > 0).sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)]! : null;
  if (configured !== 'auto') {
    return { value: configured, auto: false, rule: `data.blur.threshold = ${configured}`, median };
  }
  if (sorted.length < AUTO_MIN_IMAGES) {
    return {
      value: null,
      auto: true,
      rule: `too few images (${sorted.length} < ${AUTO_MIN_IMAGES}) to derive a blur threshold; no blur check`,
      median,
    };
  }
  const logs = sorted.map(Math.log);
  const logMedian = logs[Math.floor(logs.length / 2)]!;
  const deviations = logs.map((l) => Math.abs(l - logMedian)).sort((a, b) => a - b);
  const mad = deviations[Math.floor(deviations.length / 2)]!;
  const spread = Math.max(AUTO_SIGMAS * 1.4826 * mad, Math.log(AUTO_MIN_FACTOR));
  const value = Math.exp(logMedian - spread);
  return {
    value,
    auto: true,
    rule: `auto: exp(median(log v) − max(3·1.4826·MAD, ln 4)) = ${value.toFixed(1)} (median ${Math.exp(logMedian).toFixed(1)}, MAD of log ${mad.toFixed(3)}, ${sorted.length} images)`,
    median: Math.exp(logMedian),
  };
}

/** The quality flags of one analysed image, most serious first. */
export function qualityFlags(a: Analysis, data: DataConfig, blur: BlurThreshold): QualityFlag[] {
  if (a.error !== null || a.width === null || a.height === null) return ['corrupt'];
  const flags: QualityFlag[] = [];
  const short = Math.min(a.width, a.height);
  const long = Math.max(a.width, a.height);
  if (short < data.minSide) flags.push('too_small');
  if (long / Math.max(1, short) > data.maxAspect) flags.push('extreme_aspect');
  const uniform = (a.greyStd ?? 0) < data.nearUniform.std;
  if (uniform) flags.push('near_uniform');
  if (!uniform && blur.value !== null && (a.blur ?? 0) < blur.value) flags.push('blurry');
  return flags;
}

export function reasonText(flag: string, a: Analysis, data: DataConfig, blur: BlurThreshold): string {
  switch (flag) {
    case 'corrupt':
      return a.error ?? 'undecodable';
    case 'too_small':
      return `shorter side ${Math.min(a.width ?? 0, a.height ?? 0)} px < data.minSide ${data.minSide}`;
    case 'extreme_aspect':
      return `aspect ratio ${(Math.max(a.width!, a.height!) / Math.min(a.width!, a.height!)).toFixed(1)} > data.maxAspect ${data.maxAspect}`;
    case 'near_uniform':
      return `grey standard deviation ${(a.greyStd ?? 0).toFixed(1)} < data.nearUniform.std ${data.nearUniform.std}`;
    case 'blurry':
      return `sharpness ${(a.blur ?? 0).toFixed(1)} < blur threshold ${blur.value?.toFixed(1)}`;
    default:
      return flag;
  }
}
