import { resolve } from 'node:path';
import {
  didYouMean,
  formatMs,
  formatRunSummary,
  formatTable,
  listRunIds,
  loadConfig,
  type RunRecord,
  readRunRecord,
  resolvePath,
  UsageError,
} from '@plantid/core';
import type { tfjsEnvironment } from '@plantid/engine';
import type { Command } from 'commander';
import type { CommandModule } from './types.js';

interface WhereFlags {
  runsDir?: string;
  config?: string;
}

function addWhere(command: Command): Command {
  return command
    .option('--runs-dir <dir>', 'runs folder (default: runsDir of --config, else ./runs)')
    .option('-c, --config <file>', 'take the runs folder from this config');
}

async function runsDirOf(flags: WhereFlags): Promise<string> {
  if (flags.runsDir) return resolve(flags.runsDir);
  if (flags.config) {
    const loaded = await loadConfig(flags.config);
    return resolvePath(loaded, loaded.config.runsDir);
  }
  return resolve('runs');
}

export const runsCommand: CommandModule = {
  register(program, ctx) {
    const runs = program.command('runs').description('list and inspect past runs');

    addWhere(runs.command('list').description('list runs, newest first'))
      .option('--json', 'print JSON')
      .action(async (flags: WhereFlags & { json?: boolean }) => {
        const dir = await runsDirOf(flags);
        const records: RunRecord[] = [];
        for (const id of await listRunIds(dir)) {
          const record = await readRunRecord(dir, id);
          if (record) records.push(record);
        }
        if (flags.json) {
          ctx.stdout(`${JSON.stringify(records, null, 2)}\n`);
          return;
        }
        if (records.length === 0) {
          ctx.stdout(`no runs in ${dir}\n`);
          return;
        }
        const count = (r: (typeof records)[number], status: string) =>
          r.stages.filter((s) => s.status === status).length;
        const rows = records.map((r) => [
          r.runId,
          r.status,
          r.started.replace('T', ' ').slice(0, 19),
          formatMs(r.durationMs),
          `${count(r, 'ran')} ran, ${count(r, 'reused')} reused${count(r, 'failed') ? ', 1 failed' : ''}`,
          r.configPath,
        ]);
        ctx.stdout(`${formatTable(['run', 'status', 'started', 'time', 'stages', 'config'], rows)}\n`);
      });

    addWhere(
      runs
        .command('show')
        .description('show one run: stages, figures, environment')
        .argument('<id>', 'run id'),
    )
      .option('--json', 'print run.json')
      .action(async (id: string, flags: WhereFlags & { json?: boolean }) => {
        const dir = await runsDirOf(flags);
        const record = await readRunRecord(dir, id);
        if (!record) {
          const ids = await listRunIds(dir);
          const guess = didYouMean(id, ids);
          throw new UsageError(`no run "${id}" in ${dir}${guess ? `; did you mean "${guess}"?` : ''}`, {
            hint: ids.length ? 'see `pipeline runs list`' : 'no runs yet',
          });
        }
        if (flags.json) {
          ctx.stdout(`${JSON.stringify(record, null, 2)}\n`);
          return;
        }
        const env = record.environment;
        const tfjs = env.tfjs as ReturnType<typeof tfjsEnvironment> | undefined;
        const lines = [
          formatRunSummary(record),
          '',
          `folder       ${record.runDir}`,
          `config       ${record.configPath} (hash ${record.configHash.slice(0, 12)})`,
          `git          ${record.git ? `${record.git.commit.slice(0, 12)}${record.git.dirty ? ' (uncommitted changes)' : ''}` : 'not a git checkout'}`,
          `started      ${record.started}`,
          `environment  node ${env.node}, ${env.platform}/${env.arch}, ${env.cpus} cpus (${env.cpuModel}), ${env.memoryGiB} GiB`,
        ];
        if (tfjs)
          lines.push(`tfjs         forward: ${tfjs.forward}, gradients: ${tfjs.gradients} (${tfjs.reason})`);
        if (record.argv) lines.push(`command      pipeline ${record.argv.join(' ')}`);
        ctx.stdout(`${lines.join('\n')}\n`);
      });
  },
};
