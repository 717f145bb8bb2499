import { describe, expect, it } from 'vitest';
import {
  answerStatus,
  cleanClassName,
  displayName,
  energyScore,
  fuseProbabilities,
  fuseScores,
  knnCosine,
  type Label,
  l2NormalizeRows,
  OpenSetScorer,
  taxonFallback,
} from '../src/index.js';

const label = (index: number, extra: Partial<Label> = {}): Label => ({
  index,
  id: `c${index}`,
  name: `c${index}`,
  ...extra,
});

describe('display names', () => {
  it('cleans folder numbering, abbreviations and underscores', () => {
    expect(cleanClassName('10Coleus scutellarioides(CS)')).toBe('Coleus scutellarioides');
    expect(cleanClassName('Alcea_rosea')).toBe('Alcea rosea');
    expect(cleanClassName('42')).toBe('42');
  });
  it('prefers the common name in the asked language, then English, then the scientific name', () => {
    const l = label(0, {
      name: '1Psidium guajava(PG)',
      scientificName: 'Psidium guajava',
      commonNames: { en: ['guava'], tl: ['bayabas'] },
    });
    expect(displayName(l, 'tl')).toBe('bayabas');
    expect(displayName(l, 'vi')).toBe('guava');
    expect(displayName({ ...l, commonNames: undefined })).toBe('Psidium guajava');
    expect(displayName(label(1, { name: '3Mentha(M)' }))).toBe('Mentha');
  });
});

describe('answer status', () => {
  const t = { open: 0.8, confidence: 0.9 };
  it('is not_recognized below the open threshold, identified when confident, uncertain otherwise', () => {
    expect(answerStatus(0.5, 0.99, t)).toBe('not_recognized');
    expect(answerStatus(0.85, 0.95, t)).toBe('identified');
    expect(answerStatus(0.85, 0.6, t)).toBe('uncertain');
    expect(answerStatus(null, 0.95, { open: null, confidence: 0.9 })).toBe('identified');
  });
});

describe('open-set scores', () => {
  it('kNN cosine is the similarity of the nearest bank row (mean of the k nearest)', () => {
    const bank = l2NormalizeRows(Float32Array.from([1, 0, 0, 1, 1, 1]), 2);
    expect(knnCosine(bank, 2, Float32Array.from([1, 0]), 1)).toBeCloseTo(1, 6);
    expect(knnCosine(bank, 2, Float32Array.from([1, 0]), 2)).toBeCloseTo((1 + Math.SQRT1_2) / 2, 6);
  });
  it('the scorer normalises the embedding and reads the bank', () => {
    const bank = l2NormalizeRows(Float32Array.from([1, 0, 0, 1]), 2);
    const scorer = new OpenSetScorer(
      {
        score: 'knn-cosine',
        k: 1,
        temperature: 1,
        bank: { file: 'openset-bank.f16', rows: 2, dim: 2, dtype: 'float16', fittedOn: 'x' },
        mahalanobis: null,
      },
      { bank },
    );
    expect(scorer.score({ probabilities: [0.5, 0.5], embedding: [3, 3] })).toBeCloseTo(Math.SQRT1_2, 6);
    expect(() => scorer.score({ probabilities: [0.5, 0.5] })).toThrow(/embedding/);
  });
  it('energy is T·logsumexp(z/T)', () => {
    expect(energyScore([0, 0], 1)).toBeCloseTo(Math.log(2), 9);
    expect(energyScore([10, 0], 2)).toBeCloseTo(2 * Math.log(Math.exp(5) + 1), 9);
  });
});

describe('several photos of one plant', () => {
  it('fuses by the mean of log-probabilities: a species must fit every photo', () => {
    const fused = fuseProbabilities([
      [0.6, 0.4, 0],
      [0.1, 0.5, 0.4],
    ]);
    expect(fused[1]).toBeGreaterThan(fused[0]!);
    expect(fused.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    expect(fuseScores([0.9, 0.7])).toBeCloseTo(0.8, 9);
  });
});

describe('genus fallback', () => {
  const labels = [
    label(0, { genus: 'Citrus', family: 'Rutaceae' }),
    label(1, { genus: 'Citrus', family: 'Rutaceae' }),
    label(2, { genus: 'Mentha', family: 'Lamiaceae' }),
  ];
  it('answers the genus whose species add up to the threshold', () => {
    expect(taxonFallback([0.5, 0.45, 0.05], labels, 0.9)).toMatchObject({
      rank: 'genus',
      name: 'Citrus',
      members: [0, 1],
    });
  });
  it('answers nothing when no group of two or more species reaches it', () => {
    expect(taxonFallback([0.4, 0.2, 0.4], labels, 0.9)).toBeNull();
  });
});
