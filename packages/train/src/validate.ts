import { join } from 'node:path';
import { type PlantidConfig, resolvePath, UsageError } from '@plantid/core';
import { buildFeatureExtractor, splitForFinetune } from './backbone/cut.js';
import { loadBackboneModel, resolveBackbone } from './backbone/source.js';
import { nativeBackendAvailable } from './backend.js';

/** The backbone's fixed input size must be the preprocess size. */
export function checkBackboneInput(shape: (number | null)[], size: number, where: string): void {
  const [h, w, c] = shape;
  if (c != null && c !== 3)
    throw new UsageError(`the backbone takes ${c}-channel input; plantid feeds RGB`, { where });
  if ((h != null && h !== size) || (w != null && w !== size)) {
    throw new UsageError(
      `preprocess.size is ${size} but the backbone takes ${h ?? 'any'}×${w ?? 'any'} images`,
      {
        where: 'preprocess.size',
        hint: `set preprocess.size: ${h ?? w} or use a backbone built for ${size}`,
      },
    );
  }
}

/**
 * Cheap checks before any stage runs: the backbone exists and is a layers model with its weights,
 * the feature layer exists (else the candidates are listed), the input size agrees, and the
 * fine-tune blocks exist. A URL not downloaded yet is checked after download, still before any long work.
 */
export async function validateTrainConfig(config: PlantidConfig, configDir: string): Promise<void> {
  const cacheDir = join(resolvePath({ configDir }, config.runsDir), '.cache');
  const source = await resolveBackbone(config.model.weights, {
    configDir,
    cacheDir,
    sha256: config.model.sha256,
    download: false,
  });
  if (!source) return;
  const backbone = await loadBackboneModel(source, {
    size: config.preprocess.size,
    resizeInput: config.model.resizeInput,
  });
  try {
    const extractor = buildFeatureExtractor(backbone, config.model.featureLayer, config.model.pooling);
    checkBackboneInput(extractor.inputShape, config.preprocess.size, source.modelJson);
    const ft = config.train.finetune;
    if (ft.epochs > 0 && ft.blocks > 0 && (nativeBackendAvailable() || !ft.requireNative))
      splitForFinetune(extractor, ft.blocks);
  } finally {
    backbone.dispose();
  }
}
