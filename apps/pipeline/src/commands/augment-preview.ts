import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  isImageFile,
  type LoadedConfig,
  loadConfig,
  resolvePath,
  sha256,
  UsageError,
  writeFileAtomic,
} from '@plantid/core';
import { augmentFromConfig, renderAugmentGrid, specFromConfig } from '@plantid/preprocess';
import { InvalidArgumentError } from 'commander';
import { collect } from './io.js';
import type { CommandModule } from './types.js';

interface PreviewFlags {
  config: string;
  out: string;
  images: number;
  views?: number;
  set?: string[];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

/** One image from each of the first `count` class folders (sorted), or from the root itself when it has no folders. */
async function sampleImages(loaded: LoadedConfig, paths: string[], count: number): Promise<string[]> {
  if (paths.length > 0) return paths.map((p) => resolve(p));
  const rootSetting = loaded.config.data.root ?? loaded.config.data.sources?.find((s) => !s.feedback)?.root;
  if (!rootSetting)
    throw new UsageError('no data root to sample images from', {
      where: 'data.root',
      hint: 'pass image paths as arguments',
    });
  const root = resolvePath(loaded, rootSetting);
  const entries = await readdir(root, { withFileTypes: true }).catch(() => {
    throw new UsageError(`data root not found: ${root}`, { where: 'data.root' });
  });
  const folders = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  const picked: string[] = [];
  for (const folder of folders) {
    if (picked.length >= count) break;
    const first = (await readdir(join(root, folder))).filter(isImageFile).sort()[0];
    if (first) picked.push(join(root, folder, first));
  }
  if (picked.length === 0)
    picked.push(
      ...entries
        .filter((e) => e.isFile() && isImageFile(e.name))
        .map((e) => join(root, e.name))
        .sort()
        .slice(0, count),
    );
  if (picked.length === 0) throw new UsageError(`no images under ${root}`, { where: 'data.root' });
  return picked;
}

/** `pipeline augment-preview`: a PNG grid of what training augmentation does to a few photos. */
export const augmentPreviewCommand: CommandModule = {
  register(program, ctx) {
    program
      .command('augment-preview')
      .argument('[images...]', 'image files to show (default: one per class folder under data.root)')
      .description(
        'write a PNG grid: each row one photo, its clean input first, then augmented views with the seeds training uses',
      )
      .requiredOption(
        '-c, --config <file>',
        'pipeline config (YAML): its seed, preprocess and augment sections',
      )
      .option('-o, --out <file>', 'PNG to write', 'augment-preview.png')
      .option('-n, --images <n>', 'photos (rows) when sampling from data.root', positiveInt, 8)
      .option('--views <n>', 'augmented views per photo (default augment.views, at least 1)', positiveInt)
      .option('--set <key=value>', 'override a config value, e.g. augment.rotate=30 (repeatable)', collect)
      .action(async (images: string[], flags: PreviewFlags) => {
        const loaded = await loadConfig(flags.config, { overrides: flags.set ?? [] });
        const spec = specFromConfig(loaded.config.preprocess);
        const aug = augmentFromConfig(loaded.config.augment);
        const views = flags.views ?? Math.max(1, loaded.config.augment.views);
        const paths = await sampleImages(loaded, images, flags.images);
        const grid = await renderAugmentGrid(
          await Promise.all(
            paths.map(async (path) => {
              const bytes = await readFile(path).catch(() => {
                throw new UsageError(`cannot read image: ${path}`);
              });
              return { id: sha256(bytes), bytes, where: path };
            }),
          ),
          spec,
          aug,
          { seed: loaded.config.seed, views },
        );
        const out = resolve(flags.out);
        await writeFileAtomic(out, grid);
        ctx.stderr(
          `wrote ${out}: ${paths.length} photos × (clean + ${views} augmented views), ${spec.size} px tiles\n`,
        );
        ctx.exitCode = 0;
      });
  },
};
