import {
  configureStorage,
  formatRunSummary,
  type LogFormat,
  loadConfig,
  resolvePath,
  runPipeline,
} from '@plantid/core';
import { tfjsEnvironment } from '@plantid/engine';
import { Option } from 'commander';
import { localiseRemotePaths } from '../remote-paths.js';
import { trackerOpener } from '../tracker.js';
import { cliLogger, cliProgress, collect, parseList } from './io.js';
import type { CommandModule } from './types.js';

interface RunFlags {
  config: string;
  stages?: string[];
  from?: string;
  force?: boolean;
  dryRun?: boolean;
  set?: string[];
  log: LogFormat;
}

export const runCommand: CommandModule = {
  register(program, ctx) {
    program
      .command('run')
      .description('run the pipeline stages for a config; finished stages with unchanged inputs are reused')
      .requiredOption('-c, --config <file>', 'pipeline config (YAML)')
      .option(
        '--stages <list>',
        'comma-separated stages to run (plus the upstream stages they need)',
        parseList,
      )
      .option('--from <stage>', 'rerun this stage and everything downstream of it')
      .option('--force', 'rerun every planned stage even when its output is cached')
      .option('--dry-run', 'print the plan (run or reuse, per stage) and write nothing')
      .option('--set <key=value>', 'override a config value, e.g. train.head.lr=0.001 (repeatable)', collect)
      .addOption(new Option('--log <format>', 'log format').choices(['pretty', 'json']).default('pretty'))
      .action(async (flags: RunFlags) => {
        const log = cliLogger(ctx, flags.log);
        const given = await loadConfig(flags.config, { overrides: flags.set ?? [] });
        const { storage } = given.config;
        configureStorage({
          s3: storage.s3,
          ...(storage.cacheDir ? { cacheDir: resolvePath(given, storage.cacheDir) } : {}),
        });
        const remote = await localiseRemotePaths(given, log);
        const loaded = remote.loaded;
        const dryRun = flags.dryRun ?? false;
        const record = await runPipeline({
          loaded,
          registry: ctx.stages,
          request: {
            ...(flags.stages ? { stages: flags.stages } : {}),
            ...(flags.from ? { from: flags.from } : {}),
          },
          force: flags.force ?? false,
          dryRun,
          log,
          progress: cliProgress(ctx, flags.log),
          openTracker: trackerOpener(loaded.config, { configDir: loaded.configDir, log }),
          signal: ctx.signal,
          argv: process.argv.slice(2),
          environment: { tfjs: tfjsEnvironment() },
        });
        if (!dryRun) await remote.publish();
        if (flags.log === 'json') ctx.stdout(`${JSON.stringify(record)}\n`);
        else if (dryRun) {
          const runsDir = resolvePath(loaded, loaded.config.runsDir);
          ctx.stdout(
            `${formatRunSummary(record).replace(/^run \S+: dry-run.*\n/, `plan for ${loaded.displayPath} (runs dir ${runsDir}):\n`)}\n`,
          );
        } else ctx.stdout(`${formatRunSummary(record)}\n`);
        ctx.exitCode = record.exitCode;
      });
  },
};
