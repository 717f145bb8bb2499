import { resolve } from 'node:path';
import { formatTable, loadConfig } from '@plantid/core';
import { compareRuns, formatComparison, LocalStore, localStoreDir, syncStore } from '@plantid/tracking';
import type { Command } from 'commander';
import { cliLogger } from './io.js';
import type { CommandModule } from './types.js';

interface StoreFlags {
  store?: string;
  config?: string;
}

function addStore(command: Command): Command {
  return command
    .option(
      '--store <dir>',
      'local tracking store (default: tracking.uri / tracking.localDir of --config, else ./mlruns)',
    )
    .option('-c, --config <file>', 'take the tracking store from this config');
}

async function storeOf(flags: StoreFlags): Promise<{ dir: string; experiment?: string }> {
  if (flags.store) return { dir: resolve(flags.store) };
  if (flags.config) {
    const loaded = await loadConfig(flags.config);
    return {
      dir: localStoreDir(loaded.config.tracking, loaded.configDir),
      experiment: loaded.config.tracking.experiment,
    };
  }
  return { dir: resolve('mlruns') };
}

/** `runs compare <a> <b>` and `runs sync --to <uri>`: the tracking side of `pipeline runs`. */
export const runsTrackingCommand: CommandModule = {
  register(program, ctx) {
    const runs =
      program.commands.find((c) => c.name() === 'runs') ??
      program.command('runs').description('list and inspect past runs');

    addStore(
      runs
        .command('compare')
        .description(
          'compare two runs: final metrics side by side with the change, and the params that differ',
        )
        .argument('<a>', 'run id (the baseline)')
        .argument('<b>', 'run id'),
    )
      .option('--json', 'print JSON')
      .action(async (a: string, b: string, flags: StoreFlags & { json?: boolean }) => {
        const store = new LocalStore((await storeOf(flags)).dir);
        const comparison = compareRuns(await store.readRun(a), await store.readRun(b));
        if (flags.json) {
          const { a: ra, b: rb, ...rest } = comparison;
          ctx.stdout(`${JSON.stringify({ a: ra.info.runId, b: rb.info.runId, ...rest }, null, 2)}\n`);
          return;
        }
        ctx.stdout(`${formatComparison(comparison)}\n`);
      });

    addStore(
      runs
        .command('sync')
        .description(
          'replay locally kept runs to an MLflow server; safe to repeat (a second sync creates nothing new)',
        )
        .requiredOption('--to <uri>', 'MLflow server, e.g. http://127.0.0.1:5000')
        .option('--run <id...>', 'only these runs (default: every run in the store)')
        .option('--experiment <name>', 'MLflow experiment (default: the one each run was logged under)'),
    ).action(async (flags: StoreFlags & { to: string; run?: string[]; experiment?: string }) => {
      const { dir } = await storeOf(flags);
      const log = cliLogger(ctx, 'pretty');
      const results = await syncStore({
        storeDir: dir,
        to: flags.to,
        log,
        ...(flags.run ? { runIds: flags.run } : {}),
        ...(flags.experiment ? { experiment: flags.experiment } : {}),
      });
      if (results.length === 0) {
        ctx.stdout(`no runs in ${dir}\n`);
        return;
      }
      const rows = results.map((r) => [
        r.runId,
        r.remoteRunId,
        r.createdRun ? 'created' : 'existing',
        String(r.applied),
        r.createdVersions.join(', '),
      ]);
      ctx.stdout(
        `${formatTable(['run', 'mlflow run', 'mlflow run was', 'events sent', 'model versions created'], rows)}\n`,
      );
    });
  },
};
