import sharp from 'sharp';

/** Bump when augmentation code changes what pixels a (spec, seed) gives: cached views keyed with it go stale. */
export const AUGMENT_IMPLEMENTATION = 2;

/**
 * Identifies the code that turns bytes into pixels (libvips version + our revision), for cache
 * keys: an upgraded libvips may resample differently, and cached embeddings must follow.
 */
export function pixelPipelineId(): string {
  return `pre1-vips${sharp.versions.vips}-aug${AUGMENT_IMPLEMENTATION}`;
}
