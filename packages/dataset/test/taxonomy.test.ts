import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTaxonomy, matchTaxonomy, readTaxonomy } from '../src/taxonomy.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taxonomy-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const classes = [
  { label: '1Psidium guajava(PG)', id: 'psidium-guajava-pg' },
  { label: '2Citrus limon(CL)', id: 'citrus-limon-cl' },
];

describe('data.taxonomy', () => {
  it('reads a CSV with common names per language into labels', async () => {
    const file = join(dir, 'tax.csv');
    await writeFile(
      file,
      'label,scientificName,genus,family,en,tl,sensitive\n1Psidium guajava(PG),Psidium guajava,Psidium,Myrtaceae,guava,bayabas,false\ncitrus-limon-cl,Citrus limon,Citrus,Rutaceae,lemon; lime,,true\n',
    );
    const rows = matchTaxonomy(await readTaxonomy(file), classes, file);
    const labels = applyTaxonomy(
      classes.map((c, index) => ({ index, id: c.id, name: c.label })),
      rows,
    );
    expect(labels[0]).toMatchObject({
      scientificName: 'Psidium guajava',
      commonNames: { en: ['guava'], tl: ['bayabas'] },
      sensitive: false,
    });
    expect(labels[1]).toMatchObject({
      genus: 'Citrus',
      commonNames: { en: ['lemon', 'lime'] },
      sensitive: true,
    });
  });
  it('names the row of a label that is no class, and the classes without a row', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, '- label: 9Rosa(R)\n  scientificName: Rosa\n');
    await expect(readTaxonomy(file).then((r) => matchTaxonomy(r, classes, file))).rejects.toThrow(
      /9Rosa\(R\).*not a class/,
    );
    await writeFile(file, '- label: 1Psidium guajava(PG)\n');
    await expect(readTaxonomy(file).then((r) => matchTaxonomy(r, classes, file))).rejects.toThrow(
      /no row for 1 class.*Citrus limon/,
    );
  });
});
