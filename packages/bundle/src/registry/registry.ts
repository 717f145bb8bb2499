import { randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError, WorkError } from '@plantid/core';
import { PRODUCER } from '../producer.js';
import { readBundle } from '../read.js';
import { aliasNameSchema, aliasStack, readAliases, updateAliases } from './aliases.js';

const modelNamePattern = /^[a-z0-9][a-z0-9._-]*$/i;
const versionPattern = /^[1-9][0-9]*$/;

export interface RegistryVersion {
  version: number;
  dir: string;
  /** From manifest.json; null when it cannot be read (see `problem`). */
  created: string | null;
  /** Sum of the bundle's file sizes. */
  bytes: number | null;
  aliases: string[];
  problem?: string;
}

export interface RegistryModel {
  name: string;
  /** Oldest first. */
  versions: RegistryVersion[];
  aliases: Record<string, number>;
}

/** Versions present for `name`, ascending (TF Serving layout: numeric folder names). */
export async function listVersions(registryDir: string, name: string): Promise<number[]> {
  const entries = await readdir(join(registryDir, name), { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && versionPattern.test(e.name))
    .map((e) => Number(e.name))
    .sort((a, b) => a - b);
}

/** The version the next export of `name` gets: one above the highest present (1 for a new name). */
export async function nextVersion(registryDir: string, name: string): Promise<number> {
  return ((await listVersions(registryDir, name)).at(-1) ?? 0) + 1;
}

/** Every model in the registry with its versions and aliases. Reads manifests only (no hashing). */
export async function listModels(registryDir: string): Promise<RegistryModel[]> {
  const entries = await readdir(registryDir, { withFileTypes: true }).catch(() => []);
  const models: RegistryModel[] = [];
  for (const entry of entries.filter((e) => e.isDirectory() && modelNamePattern.test(e.name))) {
    const nameDir = join(registryDir, entry.name);
    const { aliases } = await readAliases(nameDir);
    const versions: RegistryVersion[] = [];
    for (const version of await listVersions(registryDir, entry.name)) {
      const dir = join(nameDir, String(version));
      const pointing = Object.entries(aliases)
        .filter(([, v]) => v === version)
        .map(([a]) => a)
        .sort();
      try {
        const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as {
          created: string;
          files: Record<string, { bytes: number }>;
        };
        const bytes = Object.values(manifest.files).reduce((sum, f) => sum + f.bytes, 0);
        versions.push({ version, dir, created: manifest.created, bytes, aliases: pointing });
      } catch {
        versions.push({
          version,
          dir,
          created: null,
          bytes: null,
          aliases: pointing,
          problem: 'manifest.json unreadable',
        });
      }
    }
    if (versions.length || Object.keys(aliases).length) models.push({ name: entry.name, versions, aliases });
  }
  return models.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The version of `name` whose manifest records exactly these source hashes and this bundle writer,
 * if any: an export that was killed after publishing finds its version again instead of adding one.
 */
export async function findPublished(
  registryDir: string,
  name: string,
  hashes: { config: string; dataset: string; model: string },
): Promise<number | undefined> {
  for (const version of (await listVersions(registryDir, name)).reverse()) {
    try {
      const manifest = JSON.parse(
        await readFile(join(registryDir, name, String(version), 'manifest.json'), 'utf8'),
      ) as {
        hashes?: Record<string, unknown>;
        producer?: { name?: string; version?: string };
      };
      const h = manifest.hashes ?? {};
      if (
        h.config === hashes.config &&
        h.dataset === hashes.dataset &&
        h.model === hashes.model &&
        manifest.producer?.name === PRODUCER.name &&
        manifest.producer?.version === PRODUCER.version
      ) {
        return version;
      }
    } catch {
      // An unreadable version is not ours to reuse; listModels reports it.
    }
  }
  return undefined;
}

/** Another export published the same name and version first; the next free version is free to take. */
export class VersionTakenError extends WorkError {}

export interface PublishResult {
  name: string;
  version: number;
  dir: string;
  /** True when this exact bundle was already in the registry (a resumed export). */
  alreadyPublished: boolean;
}

/**
 * Copies a verified bundle into `<registry>/<name>/<version>/` (name and version from its
 * manifest) and points `aliases` (default `latest`) at it. A published version is never
 * overwritten: the copy lands through a rename that fails if the folder exists.
 */
export async function publishBundle(
  bundleDir: string,
  registryDir: string,
  options: { aliases?: readonly string[] } = {},
): Promise<PublishResult> {
  const bundle = await readBundle(bundleDir);
  const nameDir = join(registryDir, bundle.name);
  const dest = join(nameDir, String(bundle.version));
  await mkdir(nameDir, { recursive: true });

  let alreadyPublished = false;
  if (await exists(dest)) {
    if (!(await sameContent(dest, bundle.manifest.files))) {
      throw new VersionTakenError(
        `${bundle.name} version ${bundle.version} already exists in the registry with other content`,
        {
          where: dest,
          hint: 'export again: the next export takes the next free version',
        },
      );
    }
    alreadyPublished = true;
  } else {
    const temp = join(nameDir, `.publish-${bundle.version}-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await cp(bundle.dir, temp, { recursive: true, errorOnExist: true });
      await rename(temp, dest);
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      if (await exists(dest)) {
        throw new VersionTakenError(
          `${bundle.name} version ${bundle.version} was published by another export meanwhile`,
          {
            where: dest,
            hint: 'export again to get the next version',
          },
        );
      }
      throw error;
    }
  }
  for (const alias of options.aliases ?? ['latest'])
    await setAlias(nameDir, alias, bundle.version, 'publish');
  return { name: bundle.name, version: bundle.version, dir: dest, alreadyPublished };
}

export interface AliasMove {
  name: string;
  alias: string;
  from: number | null;
  to: number;
  /** False when the alias already pointed there. */
  changed: boolean;
}

/** Points `alias` (default `production`) at `version` after verifying that bundle is whole. */
export async function promote(
  registryDir: string,
  name: string,
  version: number,
  alias = 'production',
): Promise<AliasMove> {
  checkAlias(alias);
  const nameDir = await requireModel(registryDir, name);
  const dir = join(nameDir, String(version));
  if (!Number.isInteger(version) || version < 1 || !(await exists(dir))) {
    const have = await listVersions(registryDir, name);
    throw new UsageError(`${name} has no version ${version}`, {
      where: dir,
      hint: `versions: ${have.join(', ') || 'none'}`,
    });
  }
  await readBundle(dir);
  return setAlias(nameDir, alias, version, 'promote').then((move) => ({ name, ...move }));
}

/**
 * Moves `alias` back to where it pointed before its last promote (a stack: rolling back
 * twice goes back two promotions). Every move stays in aliases.json's history.
 */
export async function rollback(registryDir: string, name: string, alias = 'production'): Promise<AliasMove> {
  checkAlias(alias);
  const nameDir = await requireModel(registryDir, name);
  return updateAliases(nameDir, (file) => {
    const stack = aliasStack(file, alias);
    const from = stack.at(-1);
    const to = stack.at(-2);
    if (from === undefined) {
      throw new UsageError(`${name} has no alias "${alias}"`, {
        where: join(nameDir, 'aliases.json'),
        hint: `aliases: ${Object.keys(file.aliases).join(', ') || 'none'}`,
      });
    }
    if (to === undefined) {
      throw new UsageError(`${name}@${alias} has no earlier version to roll back to (it is at ${from})`, {
        where: join(nameDir, 'aliases.json'),
        hint: `use \`pipeline models promote ${name} <version> --alias ${alias}\``,
      });
    }
    file.history.push({ at: new Date().toISOString(), alias, action: 'rollback', version: to, from });
    return { name, alias, from, to, changed: true };
  });
}

/**
 * Turns a bundle reference into a bundle folder: a path (absolute, or relative to `baseDir`),
 * or `name@alias`, `name@version`, or a bare `name` meaning `name@latest`.
 * Does not verify the bundle: readBundle does.
 */
export async function resolveBundle(
  ref: string,
  registryDir: string,
  options: { baseDir?: string } = {},
): Promise<string> {
  const registryRef = /^([a-z0-9][a-z0-9._-]*)(?:@([a-z0-9_-]+))?$/i.exec(ref);
  const asPath = resolve(options.baseDir ?? process.cwd(), ref);
  if (!registryRef || (!ref.includes('@') && (await exists(join(asPath, 'manifest.json'))))) {
    if (!(await exists(asPath))) {
      throw new UsageError('bundle folder does not exist', {
        where: asPath,
        hint: 'give a bundle folder or name@alias from `pipeline models list`',
      });
    }
    return asPath;
  }
  const [, name = '', tag = 'latest'] = registryRef;
  const nameDir = await requireModel(registryDir, name);
  let version: number;
  if (versionPattern.test(tag)) {
    version = Number(tag);
  } else {
    const { aliases } = await readAliases(nameDir);
    const target = aliases[tag];
    if (target === undefined) {
      throw new UsageError(`${name} has no alias "${tag}"`, {
        where: join(nameDir, 'aliases.json'),
        hint: `aliases: ${Object.keys(aliases).join(', ') || 'none'}; versions: ${(await listVersions(registryDir, name)).join(', ')}`,
      });
    }
    version = target;
  }
  const dir = join(nameDir, String(version));
  if (!(await exists(dir))) {
    throw new UsageError(`${name} version ${version} (${ref}) is not in the registry`, {
      where: dir,
      hint: `versions: ${(await listVersions(registryDir, name)).join(', ') || 'none'}`,
    });
  }
  return dir;
}

async function setAlias(
  nameDir: string,
  alias: string,
  version: number,
  action: 'publish' | 'promote',
): Promise<Omit<AliasMove, 'name'>> {
  return updateAliases(nameDir, (file) => {
    const from = aliasStack(file, alias).at(-1) ?? null;
    if (from === version) return { alias, from, to: version, changed: false };
    file.history.push({ at: new Date().toISOString(), alias, action, version, from });
    return { alias, from, to: version, changed: true };
  });
}

function checkAlias(alias: string): void {
  const parsed = aliasNameSchema.safeParse(alias);
  if (!parsed.success)
    throw new UsageError(`alias "${alias}": ${parsed.error.issues[0]?.message}`, { where: '--alias' });
}

async function requireModel(registryDir: string, name: string): Promise<string> {
  const nameDir = join(registryDir, name);
  if (!modelNamePattern.test(name) || !(await exists(nameDir))) {
    const names = (await listModels(registryDir)).map((m) => m.name);
    throw new UsageError(`no model "${name}" in the registry`, {
      where: resolve(registryDir),
      hint: `models: ${names.join(', ') || 'none yet (run the export stage)'}`,
    });
  }
  return nameDir;
}

async function sameContent(dir: string, files: Record<string, { sha256: string }>): Promise<boolean> {
  try {
    const other = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as {
      files: Record<string, { sha256: string }>;
    };
    const a = Object.entries(files);
    return (
      a.length === Object.keys(other.files).length && a.every(([k, v]) => other.files[k]?.sha256 === v.sha256)
    );
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
