import { resolve } from 'node:path';
import { listModels, promote, readBundle, resolveBundle, rollback } from '@plantid/bundle';
import { formatTable, loadConfig, resolvePath, UsageError } from '@plantid/core';
import type { Command } from 'commander';
import type { CommandModule } from './types.js';

interface WhereFlags {
  registry?: string;
  config?: string;
}

function addWhere(command: Command): Command {
  return command
    .option('--registry <dir>', 'registry folder (default: export.registry of --config, else ./models)')
    .option('-c, --config <file>', 'take the registry folder from this config');
}

async function registryOf(flags: WhereFlags): Promise<string> {
  if (flags.registry) return resolve(flags.registry);
  if (flags.config) {
    const loaded = await loadConfig(flags.config);
    return resolvePath(loaded, loaded.config.export.registry);
  }
  return resolve('models');
}

function parseVersion(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value)) {
    throw new UsageError(`version "${value}" is not a positive whole number`, {
      where: '<version>',
      hint: 'see `pipeline models list`',
    });
  }
  return Number(value);
}

const megabytes = (bytes: number | null) => (bytes === null ? '?' : `${(bytes / 1e6).toFixed(1)} MB`);

export const modelsCommand: CommandModule = {
  register(program, ctx) {
    const models = program
      .command('models')
      .description('the local model registry: models/<name>/<version>/ with aliases (latest, production, …)');

    addWhere(models.command('list').description('list models, versions and the aliases pointing at them'))
      .option('--json', 'print JSON')
      .action(async (flags: WhereFlags & { json?: boolean }) => {
        const dir = await registryOf(flags);
        const all = await listModels(dir);
        if (flags.json) {
          ctx.stdout(`${JSON.stringify(all, null, 2)}\n`);
          return;
        }
        if (all.length === 0) {
          ctx.stdout(`no models in ${dir} (the export stage of \`pipeline run\` publishes them)\n`);
          return;
        }
        const rows = all.flatMap((m) =>
          m.versions.map((v) => [
            m.name,
            String(v.version),
            v.aliases.join(', ') || '-',
            v.created ? v.created.replace('T', ' ').slice(0, 19) : '-',
            megabytes(v.bytes),
            v.problem ?? '',
          ]),
        );
        ctx.stdout(`${formatTable(['model', 'version', 'aliases', 'created', 'size', 'problem'], rows)}\n`);
      });

    addWhere(
      models
        .command('show')
        .description('verify a bundle (sha256 of every file) and print its metadata')
        .argument('<ref>', 'name, name@alias, name@version or a bundle folder'),
    )
      .option('--json', 'print manifest.json')
      .action(async (ref: string, flags: WhereFlags & { json?: boolean }) => {
        const bundle = await readBundle(await resolveBundle(ref, await registryOf(flags)));
        if (flags.json) {
          ctx.stdout(`${JSON.stringify(bundle.manifest, null, 2)}\n`);
          return;
        }
        const m = bundle.manifest;
        const parity = m.parity
          ? Object.entries(m.parity.variants)
              .map(
                ([v, p]) =>
                  `${v} ${p.passed ? 'pass' : 'FAIL'} (max diff ${p.maxAbsDiff.toExponential(1)}, top-1 ${(p.top1Agreement * 100).toFixed(1)} %)`,
              )
              .join('; ')
          : 'not measured';
        const lines = [
          `${m.name} v${m.version}: verified (${Object.keys(m.files).length} files)`,
          `folder     ${bundle.dir}`,
          `created    ${m.created}${m.runId ? ` by run ${m.runId}` : ''}`,
          `classes    ${bundle.labels.length}: ${bundle.labels.map((l) => l.name).join(', ')}`,
          `input      [batch, ${m.model.inputShape.slice(1).join(', ')}] ${m.model.layout}, resize ${bundle.preprocess.resize}`,
          `variants   ${bundle.variants.map((v) => `${v} ${megabytes(m.files[m.model.variants[v]!]?.bytes ?? null)}`).join(', ')}`,
          `parity     ${parity}`,
          `calibrated temperature ${bundle.temperature}`,
          `card       ${bundle.cardPath}`,
        ];
        ctx.stdout(`${lines.join('\n')}\n`);
      });

    addWhere(
      models
        .command('promote')
        .description('point an alias (default production) at a version, after verifying it')
        .argument('<name>', 'model name')
        .argument('<version>', 'version number'),
    )
      .option('--alias <alias>', 'alias to move', 'production')
      .action(async (name: string, version: string, flags: WhereFlags & { alias: string }) => {
        const move = await promote(await registryOf(flags), name, parseVersion(version), flags.alias);
        ctx.stdout(
          move.changed
            ? `${name}@${move.alias}: ${move.from ?? '(none)'} → ${move.to}\n`
            : `${name}@${move.alias} already points at ${move.to}\n`,
        );
      });

    addWhere(
      models
        .command('rollback')
        .description('move an alias (default production) back to where it pointed before its last promote')
        .argument('<name>', 'model name'),
    )
      .option('--alias <alias>', 'alias to move back', 'production')
      .action(async (name: string, flags: WhereFlags & { alias: string }) => {
        const move = await rollback(await registryOf(flags), name, flags.alias);
        ctx.stdout(`${name}@${move.alias}: ${move.from} → ${move.to} (rolled back)\n`);
      });
  },
};
