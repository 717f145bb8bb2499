import { describe, expect, it } from 'vitest';
import { configSchema, recordFile } from '../src/index.js';

// Train and evaluate open images through recordFile: with `data.root` plus a feedback source,
// a record of the root's photos must not be looked for in the feedback store.
const data = configSchema.shape.data.parse({
  root: 'photos',
  sources: [{ name: 'feedback', root: '../feedback', feedback: true }],
});

describe('recordFile', () => {
  it('prefers the absolute file the dataset stage wrote', () => {
    expect(recordFile({ path: 'Mint/a.jpg', file: '/data/photos/Mint/a.jpg' }, data, '/cfg')).toBe(
      '/data/photos/Mint/a.jpg',
    );
  });

  it('roots a relative path at the source the record names, as the dataset stage named it', () => {
    expect(recordFile({ path: 'Mint/a.jpg', source: 'photos' }, data, '/cfg')).toBe('/cfg/photos/Mint/a.jpg');
    expect(recordFile({ path: 'images/ab/ab1.jpg', source: 'feedback' }, data, '/cfg')).toBe(
      '/feedback/images/ab/ab1.jpg',
    );
  });

  it('refuses to guess between several sources', () => {
    expect(() => recordFile({ path: 'Mint/a.jpg', source: 'elsewhere' }, data, '/cfg')).toThrow(
      /cannot tell which data source holds Mint\/a\.jpg/,
    );
  });
});
