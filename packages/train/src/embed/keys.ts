import { hashJson, sha256 } from '@plantid/core';
import {
  type AugmentSpec,
  isCleanView,
  type PreprocessSpec,
  pixelPipelineId,
  type TtaView,
  viewName,
  viewSeed,
} from '@plantid/preprocess';

/** What one cached vector was computed from: image bytes, spec, pixel code version, and for augmented views the augmentation and its seed. */
export interface ViewKeyParts {
  imageId: string;
  spec: PreprocessSpec;
  aug: AugmentSpec;
  seed: number;
  /** 0 = the clean view; 1..views = augmented views; a TTA view (deterministic crop/flip). */
  view: number | TtaView;
}

export function viewKey({ imageId, spec, aug, seed, view }: ViewKeyParts): string {
  const clean = view === 0 || (typeof view === 'object' && isCleanView(view));
  const what = clean
    ? 'clean'
    : typeof view === 'object'
      ? `tta:${viewName(view)}`
      : `aug:${hashJson(aug)}:${viewSeed(seed, imageId, view)}`;
  // The TTA list says which views a prediction averages, not how one view's pixels are made.
  const { tta: _views, ...pixels } = spec;
  return sha256(`${imageId}|${hashJson(pixels)}|${pixelPipelineId()}|${what}`);
}

/** Cache folder name for vectors of one backbone (by content hash) at one layer. */
export function cacheFolder(backboneHash: string, layer: string, kind: 'pooled' | 'activations'): string {
  return `${kind}-${sha256(`${backboneHash}|${layer}|${kind}`).slice(0, 24)}`;
}

/** The layer part of a pooled-vector cache folder: `out_relu` for average pooling, `out_relu:avgmax` otherwise. */
export function poolingKey(layer: string, pooling: 'avg' | 'max' | 'avgmax'): string {
  return pooling === 'avg' ? layer : `${layer}:${pooling}`;
}
