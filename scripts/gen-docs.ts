// Regenerates what is derived from code: configs/config.schema.json, the config and CLI references
// (docs/config-reference.md, docs/cli-reference.md) and the pipeline picture (DOT in the README,
// docs/pipeline.svg).
// Run: pnpm gen   (tests fail until this is rerun after a schema, command or stage change)
import { readFile } from 'node:fs/promises';
import { configJsonSchema, configReferenceMarkdown, writeFileAtomic } from '../packages/core/src/index.js';
import {
  cliReferencePath,
  configReferencePath,
  configSchemaPath,
  replaceSection,
} from './readme-sections.js';

await writeFileAtomic(configSchemaPath, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${configSchemaPath}`);

// The CLI modules import every package with a stage or command; loaded after the schema is written.
const { dotToSvg, stagesToDot } = await import('../apps/pipeline/src/graph.js');
const { cliReferenceMarkdown } = await import('../apps/pipeline/src/reference.js');
const { stageRegistry } = await import('../apps/pipeline/src/stages.js');
const dot = stagesToDot(stageRegistry);
await writeFileAtomic('docs/pipeline.svg', await dotToSvg(dot));
const regenerate = async (path: string, name: string, content: string) =>
  writeFileAtomic(path, replaceSection(await readFile(path, 'utf8'), name, content));
await regenerate(configReferencePath, 'config-reference', configReferenceMarkdown());
await regenerate(cliReferencePath, 'cli-reference', cliReferenceMarkdown());
await regenerate('README.md', 'pipeline-graph', `\`\`\`dot\n${dot}\`\`\`\n`);
console.log(`wrote docs/pipeline.svg, ${configReferencePath}, ${cliReferencePath} and the README's graph`);
