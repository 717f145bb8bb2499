import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../src/index.js';

describe('configs/config.schema.json', () => {
  it('matches the zod schema (run `pnpm gen` after changing a config section)', async () => {
    const onDisk = JSON.parse(
      await readFile(resolve(__dirname, '../../../configs/config.schema.json'), 'utf8'),
    );
    expect(onDisk).toEqual(configJsonSchema());
  });

  it('describes the keys editors should complete', () => {
    const schema = configJsonSchema() as {
      properties: Record<string, { properties?: Record<string, unknown> }>;
      additionalProperties: boolean;
    };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['data', 'model', 'train', 'evaluate', 'export', 'serve']),
    );
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties.train!.properties!)).toContain('head');
  });
});
