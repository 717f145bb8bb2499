import { describe, expect, it } from 'vitest';
import { labels, metrics, spec } from '../../bundle/test/helpers/fixtures.js';
import { type DatasetRecord, headlineMetrics, renderModelCard, summariseDataset } from '../src/index.js';

function records(): DatasetRecord[] {
  const out: DatasetRecord[] = [];
  let n = 0;
  const add = (
    labelId: string,
    split: DatasetRecord['split'],
    count: number,
    license: string | null,
    source = 'philmedic',
  ) => {
    for (let i = 0; i < count; i++) {
      out.push({
        id: String(n++).padStart(64, '0'),
        path: `${labelId}/${i}.jpg`,
        label: labelId,
        labelId,
        split,
        license,
        source,
      });
    }
  };
  add('aloe-vera', 'train', 70, 'CC-BY-4.0');
  add('aloe-vera', 'val', 15, 'CC-BY-4.0');
  add('aloe-vera', 'test', 15, 'CC-BY-4.0');
  add('mentha-cordifolia', 'train', 40, 'CC-BY-4.0');
  add('mentha-cordifolia', 'test', 4, 'CC-BY-4.0');
  add('psidium-guajava', 'train', 30, null, 'feedback');
  add('psidium-guajava', 'test', 12, null, 'feedback');
  add('psidium-guajava', null, 3, 'CC-BY-4.0');
  return out;
}

const base = {
  name: 'plant',
  version: 3,
  created: new Date('2025-11-25T10:00:00Z'),
  labels,
  backbone: {
    family: 'mobilenet_v2',
    source: '../data/example/models/mobilenet_v2_0.35_224_tm/model.json',
    license: 'Apache-2.0',
  },
  preprocess: spec,
  parity: {
    samples: 64,
    passed: true,
    variants: {
      fp32: { maxAbsDiff: 2.1e-6, top1Agreement: 1, passed: true },
      int8: { maxAbsDiff: 0.03, top1Agreement: 0.984, accuracyChange: -0.016, passed: false },
    },
  },
  quantization: { int8: { bytes: 700_000 } },
  modelBytes: { fp32: 2_600_000, int8: 700_000 },
};

describe('summariseDataset', () => {
  it('counts splits, classes, excluded images, licences and sources', () => {
    const s = summariseDataset(records());
    expect(s.images).toBe(189);
    expect(s.excluded).toBe(3);
    expect(s.splits).toEqual({ train: 140, val: 15, test: 31 });
    expect(s.perClass['mentha-cordifolia']).toEqual({ train: 40, val: 0, test: 4 });
    expect(s.licences).toEqual([
      { license: 'CC-BY-4.0', images: 147 },
      { license: null, images: 42 },
    ]);
    expect(s.sources.map((x) => x.source)).toEqual(['philmedic', 'feedback']);
  });
});

describe('renderModelCard', () => {
  const card = renderModelCard({ ...base, data: summariseDataset(records()), metrics });

  it('lists every class with its name and split counts', () => {
    for (const l of labels) expect(card).toContain(`| ${l.index} | ${l.id} | ${l.name} |`);
    expect(card).toContain('| 1 | mentha-cordifolia | Mentha cordifolia | 40 | 0 | 4 |');
  });

  it('shows the measured metrics, the calibration temperature and parity', () => {
    expect(card).toContain('| top1 | 0.9123 |');
    expect(card).toContain('| calibration.temperature | 1.3700 |');
    expect(card).toContain('| fp32 | 2600000 | 2.10e-6 | 100.0 % | – | pass |');
    expect(card).toContain('| int8 | 700000 | 3.00e-2 | 98.4 % | -1.6 pt | FAIL |');
    expect(card).toContain('disagrees with the fp32 model on 1.6 %');
  });

  it('states the licences of the data (per image count) and of the weights', () => {
    expect(card).toContain('- CC-BY-4.0: 147 images');
    expect(card).toMatch(/- not declared: 42 images — check the source's terms/);
    expect(card).toContain(
      'Pretrained weights (mobilenet_v2, ../data/example/models/mobilenet_v2_0.35_224_tm/model.json): Apache-2.0',
    );
  });

  it('names the limits: closed set, safety, classes with too few test images', () => {
    expect(card).toContain('Closed set: it always answers one of the 3 classes');
    expect(card).toContain('Not for decisions about eating, medicinal use');
    expect(card).toContain('Fewer than 10 test images for: Mentha cordifolia;');
  });

  it('warns when evaluate did not run and when the weights licence is unknown', () => {
    const blind = renderModelCard({
      ...base,
      backbone: { ...base.backbone, license: null },
      data: summariseDataset(records()),
      metrics: null,
      parity: null,
      intendedUse: 'Field guide helper for the Manila herbarium.',
      limitations: ['Leaves photographed on white paper only.'],
    });
    expect(blind).toContain('has no measured accuracy');
    expect(blind).toContain('not declared — set model.license');
    expect(blind).toContain('Field guide helper for the Manila herbarium.');
    expect(blind).toContain('- Leaves photographed on white paper only.');
    const tiny = summariseDataset(records().filter((r) => r.split !== 'test' || r.id.endsWith('0')));
    expect(renderModelCard({ ...base, data: tiny, metrics })).toContain(
      'Every class has fewer than 10 test images',
    );
  });
});

describe('headlineMetrics', () => {
  it('keeps scalar figures two levels deep and skips per-class maps and arrays', () => {
    const perClass = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`c${i}`, 0.5]));
    expect(
      headlineMetrics({
        top1: 0.9,
        topK: { '3': 0.98 },
        perClassRecall: perClass,
        confusion: [[1]],
        calibration: { temperature: 1.2, ece: 0.02 },
      }),
    ).toEqual([
      ['top1', 0.9],
      ['topK.3', 0.98],
      ['calibration.temperature', 1.2],
      ['calibration.ece', 0.02],
    ]);
  });
});
