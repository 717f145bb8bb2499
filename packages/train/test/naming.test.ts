import { describe, expect, it } from 'vitest';
import { artefactName, backboneSlug } from '../src/index.js';

describe('artefact names', () => {
  it('describe backbone, batch size, learning rate and epochs', () => {
    expect(backboneSlug('mobilenet_v2_0.35')).toBe('mobilenetv2-0.35');
    expect(backboneSlug('MobileNet-V1 1.0')).toBe('mobilenetv1-1.0');
    expect(
      artefactName({ model: 'plant', backbone: 'mobilenet_v2_0.35', batchSize: 64, lr: 1e-3, epochs: 23 }),
    ).toBe('plant_mobilenetv2-0.35_bs64_lr1e-3_e23');
    expect(
      artefactName({
        model: 'leaf40',
        backbone: 'mobilenet_v2',
        batchSize: 32,
        lr: 2.5e-4,
        epochs: 9,
        finetune: { blocks: 2, epochs: 4 },
      }),
    ).toBe('leaf40_mobilenetv2_bs32_lr2.5e-4_e9_ft2x4');
  });
});
