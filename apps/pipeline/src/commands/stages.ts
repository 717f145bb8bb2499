import { formatTable, orderStages } from '@plantid/core';
import type { CommandModule } from './types.js';

export const stagesCommand: CommandModule = {
  register(program, ctx) {
    program
      .command('stages')
      .description('list the registered stages with their inputs, config sections and outputs')
      .option('--json', 'print JSON')
      .action((flags: { json?: boolean }) => {
        const stages = orderStages(ctx.stages);
        if (flags.json) {
          const rows = stages.map(({ name, description, version, needs, configKeys, outputs }) => ({
            name,
            description,
            version,
            needs,
            configKeys,
            outputs,
          }));
          ctx.stdout(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        if (stages.length === 0) {
          ctx.stdout('no stages registered (apps/pipeline/src/stages.ts)\n');
          return;
        }
        const rows = stages.map((s) => [
          s.name,
          s.needs.join(', ') || '-',
          s.configKeys.join(', '),
          s.outputs.join(', '),
          s.description,
        ]);
        ctx.stdout(`${formatTable(['stage', 'needs', 'config', 'outputs', 'description'], rows)}\n`);
      });
  },
};
