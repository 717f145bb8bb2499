import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { configReferenceMarkdown } from '@plantid/core';
import { describe, expect, it } from 'vitest';
import { cliReferencePath, configReferencePath, readSection } from '../../../scripts/readme-sections.js';
import { stagesToDot } from '../src/graph.js';
import { cliReferenceMarkdown } from '../src/reference.js';
import { stageRegistry } from '../src/stages.js';

const root = resolve(__dirname, '../../..');
const read = (path: string) => readFile(resolve(root, path), 'utf8');
const readme = () => read('README.md');

// When one of these fails, run `pnpm gen` and commit the result.
describe('generated docs match the code', () => {
  it('config reference matches the schema', async () => {
    expect(readSection(await read(configReferencePath), 'config-reference')).toBe(configReferenceMarkdown());
  });

  it('CLI reference matches the commands', async () => {
    expect(readSection(await read(cliReferencePath), 'cli-reference')).toBe(cliReferenceMarkdown());
  });

  it('pipeline graph matches the stage registry', async () => {
    expect(readSection(await readme(), 'pipeline-graph')).toBe(
      `\`\`\`dot\n${stagesToDot(stageRegistry)}\`\`\`\n`,
    );
  });
});

describe('README as a first page', () => {
  it('opens with the title and two sentences on what plantid is, before the quick start', async () => {
    const [title, intro, next] = (await readme()).split('\n\n');
    expect(title).toBe('# plantid');
    expect(intro!.split(/(?<=[.!?])\s+(?=[A-Z])/)).toHaveLength(2);
    expect(next).toBe('## Quick start');
  });

  it('quick start is two commands: set up, fetch and run the example; set up and run all tests', async () => {
    const block = /```sh\n([\s\S]*?)```/
      .exec(await readme())![1]!
      .trim()
      .split('\n');
    expect(block).toHaveLength(2);
    expect(block[0]).toMatch(
      /^source scripts\/setup\.sh && pnpm pipeline fetch-example && pnpm pipeline run --config configs\/example\.yaml /,
    );
    expect(block[1]).toMatch(/^bash \.ci\/run /);
    expect((await read('.ci/run')).trimEnd().endsWith('pnpm test')).toBe(true);
  });

  it('links only to files that exist', async () => {
    const links = [...(await readme()).matchAll(/\]\((?!https?:|#)([^)#\s]+)/g)].map((m) => m[1]!);
    expect(links).toContain(configReferencePath);
    expect(links.filter((link) => !existsSync(resolve(root, link)))).toEqual([]);
  });
});
