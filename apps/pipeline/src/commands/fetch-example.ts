import { relative, resolve } from 'node:path';
import type { LogFormat } from '@plantid/core';
import { Option } from 'commander';
import { fetchExample } from '../example/fetch.js';
import { DEFAULT_EXAMPLE_DIR, EXAMPLE_PINS, sharedDir } from '../example/locations.js';
import { readPins } from '../example/pins.js';
import { exampleSources } from '../example/sources.js';
import { cliLogger, cliProgress } from './io.js';
import type { CommandModule } from './types.js';

interface FetchFlags {
  dir?: string;
  log: LogFormat;
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** `pipeline fetch-example`: the example's photos and backbone from their public origins, verified. */
export const fetchExampleCommand: CommandModule = {
  register(program, ctx) {
    program
      .command('fetch-example')
      .description(
        'put the example dataset and backbone where configs/example.yaml reads them: linked from ../shared when it is there, else downloaded from GitHub (resumable), every file checked against configs/example.pins.tsv',
      )
      .option('--dir <folder>', 'where to put them (default: data/example in this checkout)')
      .addOption(new Option('--log <format>', 'log format').choices(['pretty', 'json']).default('pretty'))
      .action(async (flags: FetchFlags) => {
        const dir = resolve(flags.dir ?? DEFAULT_EXAMPLE_DIR);
        const log = cliLogger(ctx, flags.log);
        const fetched = await fetchExample(exampleSources, await readPins(EXAMPLE_PINS), {
          dir,
          shared: sharedDir(),
          ...(process.env.PLANTID_EXAMPLE_MIRROR ? { origin: process.env.PLANTID_EXAMPLE_MIRROR } : {}),
          log,
          progress: cliProgress(ctx, flags.log),
          signal: ctx.signal,
        });
        for (const source of fetched) {
          const how = {
            present: 'already there',
            linked: 'linked to the shared copy',
            downloaded: 'downloaded',
          };
          log.info(
            `${relative(process.cwd(), resolve(dir, source.dir))}: ${how[source.how]}, ${source.files} files (${megabytes(source.bytes)}), verified`,
          );
        }
        if (dir !== DEFAULT_EXAMPLE_DIR) {
          const folder = (kind: string) => resolve(dir, exampleSources.find((s) => s.kind === kind)!.dir);
          log.info(
            `configs/example.yaml reads ${relative(process.cwd(), DEFAULT_EXAMPLE_DIR)}; for this copy set PLANTID_DATA=${folder('files')} PLANTID_BACKBONE=${folder('zip')}/model.json`,
          );
        }
        ctx.exitCode = 0;
      });
  },
};
