import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { configReferenceMarkdown } from '@plantid/core';
import { describe, expect, it } from 'vitest';
import { readSection } from '../../../scripts/readme-sections.js';
import { stagesToDot } from '../src/graph.js';
import { cliReferenceMarkdown } from '../src/reference.js';
import { stageRegistry } from '../src/stages.js';

const readme = () => readFile(resolve(__dirname, '../../../README.md'), 'utf8');

// When one of these fails, run `pnpm gen` and commit the result.
describe('README generated sections match the code', () => {
  it('config reference matches the schema', async () => {
    expect(readSection(await readme(), 'config-reference')).toBe(configReferenceMarkdown());
  });

  it('CLI reference matches the commands', async () => {
    expect(readSection(await readme(), 'cli-reference')).toBe(cliReferenceMarkdown());
  });

  it('pipeline graph matches the stage registry', async () => {
    expect(readSection(await readme(), 'pipeline-graph')).toBe(
      `\`\`\`dot\n${stagesToDot(stageRegistry)}\`\`\`\n`,
    );
  });

  it('quick start is two commands: set up and run the example; set up and run all tests', async () => {
    const text = await readme();
    expect(text.startsWith('## Quick start')).toBe(true);
    const block = /```sh\n([\s\S]*?)```/.exec(text)![1]!.trim().split('\n');
    expect(block).toHaveLength(2);
    expect(block[0]).toMatch(/pnpm pipeline run --config configs\/example\.yaml/);
    expect(block[1]).toMatch(/^bash \.ci\/run/);
    const ci = await readFile(resolve(__dirname, '../../../.ci/run'), 'utf8');
    expect(ci.trimEnd().endsWith('pnpm test')).toBe(true);
  });
});
