import { resolve } from 'node:path';
import { type LogFormat, UsageError } from '@plantid/core';
import { collectInaturalist, DEFAULT_LICENCES, INATURALIST_API, parseLicences } from '@plantid/dataset';
import { Option } from 'commander';
import { cliLogger, cliProgress } from './io.js';
import type { CommandModule } from './types.js';

interface CollectFlags {
  taxon: string;
  place?: string;
  licence: string;
  limit: string;
  out: string;
  log: LogFormat;
}

/** `pipeline collect inaturalist`: research-grade photos of a taxon with their licences, into a folder the dataset stage reads. */
export const collectCommand: CommandModule = {
  register(program, ctx) {
    const collect = program
      .command('collect')
      .description('collect labelled photos with their licences from a public source');
    collect
      .command('inaturalist')
      .description(
        "research-grade observations of a taxon from iNaturalist's public API (one photo per observation, medium size, at most 1 request/s), into <out>/<label>/ plus manifest.csv (source URL, observer, licence, date)",
      )
      .requiredOption('--taxon <name|id>', 'scientific name (descendants included) or iNaturalist taxon id')
      .option('--place <id>', 'iNaturalist place id (e.g. 6744 for the Philippines)')
      .option('--licence <codes>', 'photo licences to accept, comma-separated', DEFAULT_LICENCES.join(','))
      .requiredOption('--limit <n>', 'photos to collect')
      .requiredOption('--out <folder>', 'new folder to create (refused if it exists and is not empty)')
      .addOption(new Option('--log <format>', 'log format').choices(['pretty', 'json']).default('pretty'))
      .action(async (flags: CollectFlags) => {
        const limit = Number(flags.limit);
        if (!Number.isInteger(limit) || limit < 1)
          throw new UsageError(`expected a positive whole number, got "${flags.limit}"`, {
            where: '--limit',
          });
        const log = cliLogger(ctx, flags.log);
        const out = resolve(flags.out);
        const result = await collectInaturalist({
          taxon: flags.taxon,
          place: flags.place,
          licences: parseLicences(flags.licence),
          limit,
          out,
          apiBase: process.env.PLANTID_INATURALIST_API ?? INATURALIST_API,
          ...(process.env.PLANTID_COLLECT_INTERVAL_MS
            ? { minIntervalMs: Number(process.env.PLANTID_COLLECT_INTERVAL_MS) }
            : {}),
          log,
          progress: cliProgress(ctx, flags.log),
          signal: ctx.signal,
        });
        const labels = Object.entries(result.labels).map(([l, n]) => `${l} ${n}`);
        const licences = Object.entries(result.licences).map(([l, n]) => `${l} ${n}`);
        log.info(
          `collected ${result.photos} photos into ${out} (${labels.join(', ')}; licences ${licences.join(', ')})`,
        );
        ctx.stdout(
          `data:\n  sources: [{ root: ${out}, manifest: ${result.manifest} }]   # add to config.yaml\n`,
        );
        ctx.exitCode = 0;
      });
  },
};
