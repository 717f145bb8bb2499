import { writeFileAtomic } from '@plantid/core';
import { Option } from 'commander';
import { dotToSvg, stagesToDot } from '../graph.js';
import type { CommandModule } from './types.js';

export const graphCommand: CommandModule = {
  register(program, ctx) {
    program
      .command('graph')
      .description('print the stage graph as Graphviz DOT, or render it to SVG')
      .addOption(new Option('-f, --format <format>', 'output format').choices(['dot', 'svg']).default('dot'))
      .option('-o, --out <file>', 'write to a file instead of stdout')
      .action(async (flags: { format: 'dot' | 'svg'; out?: string }) => {
        const dot = stagesToDot(ctx.stages);
        const text = flags.format === 'svg' ? await dotToSvg(dot) : dot;
        if (flags.out) {
          await writeFileAtomic(flags.out, text);
          ctx.stderr(`wrote ${flags.out}\n`);
        } else ctx.stdout(text);
      });
  },
};
