import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, resolvePath, UsageError } from '../src/index.js';

let dir: string;
const minimal = 'data: { root: photos }\nmodel: { weights: backbone/model.json }\n';

async function write(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function failure(promise: Promise<unknown>): Promise<UsageError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UsageError);
  return error as UsageError;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plantid-config-'));
});

describe('loadConfig', () => {
  it('fills defaults and resolves paths against the config folder', async () => {
    const loaded = await loadConfig(await write('ok.yaml', minimal));
    expect(loaded.config.train.head.lr).toBe(1e-3);
    expect(loaded.config.preprocess.size).toBe(224);
    expect(loaded.configDir).toBe(dir);
    expect(resolvePath(loaded, loaded.config.data.root!)).toBe(join(dir, 'photos'));
    expect(resolvePath(loaded, 'https://example.com/m.json')).toBe('https://example.com/m.json');
    expect(loaded.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('loads the example config shipped in configs/', async () => {
    const loaded = await loadConfig(resolve(__dirname, '../../../configs/example.yaml'), { env: {} });
    expect(resolvePath(loaded, loaded.config.data.root!)).toBe(
      resolve(__dirname, '../../../data/example/datasets/ph-medicinal-leaf40'),
    );
    expect(resolvePath(loaded, loaded.config.runsDir)).toBe(resolve(__dirname, '../../../runs'));
    expect(loaded.config.tracking.uri).toBe('file:../mlruns');
    const served = await loadConfig(resolve(__dirname, '../../../configs/example.yaml'), {
      env: { PLANTID_TRACKING_URI: 'http://127.0.0.1:5000' },
    });
    // The variable stands in for `--set tracking.uri=...`, nothing else: the rest of the section is the same.
    expect(served.config.tracking).toEqual({ ...loaded.config.tracking, uri: 'http://127.0.0.1:5000' });
  });

  it('names a missing file', async () => {
    const error = await failure(loadConfig(join(dir, 'nope.yaml')));
    expect(error.toLine()).toMatch(/nope\.yaml: config file not found/);
    expect(error.exitCode).toBe(2);
  });

  it('reports invalid YAML with line and column', async () => {
    const path = await write('bad.yaml', 'data:\n  root: x\n  minSide: [1\nmodel: {}\n');
    const error = await failure(loadConfig(path));
    expect(error.toLine()).toMatch(/bad\.yaml:4:1: invalid YAML: /);
  });

  it('rejects duplicate keys', async () => {
    const path = await write('dup.yaml', `${minimal}seed: 1\nseed: 2\n`);
    expect((await failure(loadConfig(path))).toLine()).toMatch(
      /dup\.yaml:4:1: invalid YAML: Map keys must be unique/,
    );
  });

  it('names key path, expected type, bad value and line for a wrong type', async () => {
    const path = await write('type.yaml', `${minimal}train:\n  head: { lr: fast }\n`);
    const error = await failure(loadConfig(path));
    expect(error.toLine()).toBe(`${path}: train.head.lr: expected a positive number, got "fast" (line 4)`);
  });

  it('suggests the closest key for an unknown key', async () => {
    const path = await write('unknown.yaml', `${minimal}train: { head: { lrr: 0.1 } }\n`);
    expect((await failure(loadConfig(path))).toLine()).toMatch(
      /train\.head\.lrr: unknown key; did you mean "lr"\? \(line 3\)/,
    );
    const top = await write('unknown-top.yaml', `${minimal}evalute: {}\n`);
    expect((await failure(loadConfig(top))).toLine()).toMatch(
      /evalute: unknown key; did you mean "evaluate"\?/,
    );
    const far = await write('unknown-far.yaml', `${minimal}train: { zzz: 1 }\n`);
    expect((await failure(loadConfig(far))).toLine()).toMatch(
      /train\.zzz: unknown key; known keys: head, finetune/,
    );
  });

  it('says which required key is missing', async () => {
    const path = await write('missing.yaml', 'data: { root: photos }\nmodel: {}\n');
    expect((await failure(loadConfig(path))).toLine()).toMatch(/model\.weights: missing; expected a string/);
    const section = await write('no-section.yaml', 'data: { root: photos }\n');
    expect((await failure(loadConfig(section))).toLine()).toMatch(/: model: missing; expected a section/);
  });

  it('explains enum mismatches', async () => {
    const path = await write('enum.yaml', `${minimal}preprocess: { resize: crop }\n`);
    expect((await failure(loadConfig(path))).toLine()).toMatch(
      /preprocess\.resize: expected one of "center-crop", "letterbox", "stretch", got "crop"/,
    );
  });
});

describe('interpolation', () => {
  it('expands ${VAR} and ${VAR:-default}, typing whole-value numbers and booleans', async () => {
    const path = await write(
      'env.yaml',
      'data: { root: "${DATA_DIR}/photos" }\nmodel: { weights: "${W:-w/model.json}" }\nserve: { port: "${PORT:-9000}" }\nevaluate: { gate: {} }\ntracking: { experiment: "$${literal}" }\n',
    );
    const { config } = await loadConfig(path, { env: { DATA_DIR: '/srv' } });
    expect(config.data.root).toBe('/srv/photos');
    expect(config.model.weights).toBe('w/model.json');
    expect(config.serve.port).toBe(9000);
    expect(config.tracking.experiment).toBe('${literal}');
    const set = await loadConfig(path, { env: { DATA_DIR: '/srv', PORT: '8123', W: 'x.json' } });
    expect(set.config.serve.port).toBe(8123);
    expect(set.config.model.weights).toBe('x.json');
  });

  it('refuses an unset variable without a default, naming key and variable', async () => {
    const path = await write('unset.yaml', 'data: { root: "${NOT_SET_ANYWHERE}" }\nmodel: { weights: w }\n');
    const error = await failure(loadConfig(path, { env: {} }));
    expect(error.toLine()).toMatch(
      /unset\.yaml: data\.root: environment variable NOT_SET_ANYWHERE is not set/,
    );
  });
});

describe('--set overrides', () => {
  it('parses values as YAML and wins over the file', async () => {
    const path = await write('o.yaml', minimal);
    const { config } = await loadConfig(path, {
      overrides: [
        'train.head.lr=3e-4',
        'evaluate.topK=[1, 5]',
        'augment.flip=false',
        'model.name=leafy',
        'seed=7',
      ],
    });
    expect(config.train.head.lr).toBe(3e-4);
    expect(config.evaluate.topK).toEqual([1, 5]);
    expect(config.augment.flip).toBe(false);
    expect(config.model.name).toBe('leafy');
    expect(config.seed).toBe(7);
  });

  it('sets list items by index', async () => {
    const path = await write('idx.yaml', minimal);
    const { config } = await loadConfig(path, { overrides: ['evaluate.topK=[1, 3]', 'evaluate.topK.1=5'] });
    expect(config.evaluate.topK).toEqual([1, 5]);
  });

  it('names the flag when an override is wrong', async () => {
    const path = await write('bad-o.yaml', minimal);
    expect((await failure(loadConfig(path, { overrides: ['train.head.lr=fast'] }))).toLine()).toBe(
      `${path}: train.head.lr: expected a positive number, got "fast" (from --set train.head.lr=fast)`,
    );
    expect((await failure(loadConfig(path, { overrides: ['train.hed.lr=1'] }))).toLine()).toMatch(
      /train\.hed: unknown key; did you mean "head"\? \(from --set train\.hed\.lr=1\)/,
    );
    expect((await failure(loadConfig(path, { overrides: ['train.head.lr'] }))).toLine()).toMatch(
      /--set train\.head\.lr: expected key\.path=value/,
    );
    expect((await failure(loadConfig(path, { overrides: ['data.root.x=1'] }))).toLine()).toMatch(
      /data\.root is "photos", not a section/,
    );
  });
});
