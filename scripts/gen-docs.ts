// Regenerates what is derived from code: configs/config.schema.json, the README config and
// CLI references and the pipeline picture (DOT in the README, docs/pipeline.svg).
// Run: pnpm gen   (tests fail until this is rerun after a schema, command or stage change)
import { readFile } from 'node:fs/promises';
import { configJsonSchema, configReferenceMarkdown, writeFileAtomic } from '../packages/core/src/index.js';
import { configSchemaPath, replaceSection } from './readme-sections.js';

await writeFileAtomic(configSchemaPath, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${configSchemaPath}`);

// The CLI modules import every package with a stage or command; loaded after the schema is written.
const { dotToSvg, stagesToDot } = await import('../apps/pipeline/src/graph.js');
const { cliReferenceMarkdown } = await import('../apps/pipeline/src/reference.js');
const { stageRegistry } = await import('../apps/pipeline/src/stages.js');
const dot = stagesToDot(stageRegistry);
await writeFileAtomic('docs/pipeline.svg', await dotToSvg(dot));
let readme = await readFile('README.md', 'utf8');
readme = replaceSection(readme, 'config-reference', configReferenceMarkdown());
readme = replaceSection(readme, 'cli-reference', cliReferenceMarkdown());
readme = replaceSection(readme, 'pipeline-graph', `\`\`\`dot\n${dot}\`\`\`\n`);
await writeFileAtomic('README.md', readme);
console.log('wrote docs/pipeline.svg and the generated README sections');
