import { join } from 'node:path';
import { sharedDir } from '../../apps/pipeline/src/example/locations.js';

/**
 * ../shared (the real datasets and backbone, read in place), or PLANTID_SHARED. Tests reach it only
 * through here: the unit tier points PLANTID_SHARED at a folder that does not exist, so a unit test
 * that reads it fails with an ENOENT naming the fix.
 */
export const SHARED = sharedDir();

/** 4,971 leaf photos, 40 species: one folder per class. */
export const LEAF40 = join(SHARED, 'datasets/ph-medicinal-leaf40');

/** ImageNet MobileNetV2 (alpha 0.35) in tfjs layers format. */
export const MOBILENET_JSON = join(SHARED, 'models/mobilenet_v2_0.35_224_tm/model.json');

/** 3,000 natural garden photos, 10 species (scientific names as folder names, JPEG). */
export const PLANTNET10 = join(SHARED, 'datasets/plantnet10');
