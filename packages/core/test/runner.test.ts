import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createMemoryLogger,
  formatRunSummary,
  loadConfig,
  type RunPipelineOptions,
  runPipeline,
  UsageError,
} from '../src/index.js';
import { fakeStages, runCount } from './fixtures/fake-stages.js';

let dir: string;
let control: string;
let configPath: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plantid-runner-'));
  control = join(dir, 'control');
  await mkdir(control);
  configPath = join(dir, 'config.yaml');
  await writeFile(configPath, 'runsDir: runs\ndata: { root: photos }\nmodel: { weights: w.json }\n');
});

async function run(overrides: string[] = [], options: Partial<RunPipelineOptions> = {}) {
  const log = createMemoryLogger('pretty');
  const record = await runPipeline({
    loaded: await loadConfig(configPath, { overrides }),
    registry: fakeStages(control),
    log,
    ...options,
  });
  return {
    record,
    lines: log.lines,
    status: Object.fromEntries(record.stages.map((s) => [s.name, s.status])),
  };
}

const counts = async () => ({
  ingest: await runCount(control, 'ingest'),
  fit: await runCount(control, 'fit'),
  report: await runCount(control, 'report'),
});

describe('runPipeline', () => {
  it('runs every stage into runs/<id>/<stage>/ with _stage.json, run.json and the resolved config', async () => {
    const tfjs = { forward: 'wasm', gradients: 'cpu', reason: 'given by the app' };
    const { record } = await run([], { environment: { tfjs } });
    expect(record.status).toBe('done');
    expect(record.exitCode).toBe(0);
    const runDir = join(dir, 'runs', record.runId);
    expect((await readdir(runDir)).sort()).toEqual(['config.yaml', 'fit', 'ingest', 'report', 'run.json']);
    const meta = JSON.parse(await readFile(join(runDir, 'fit', '_stage.json'), 'utf8'));
    expect(meta).toMatchObject({
      stage: 'fit',
      version: '1',
      key: record.stages[1]!.key,
      summary: { resumed: false },
    });
    expect(await readFile(join(runDir, 'fit', 'model.txt'), 'utf8')).toContain('lr=0.001');
    const saved = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8'));
    expect(saved).toMatchObject({ runId: record.runId, status: 'done', configHash: record.configHash });
    expect(saved.environment.cpus).toBeGreaterThan(0);
    expect(saved.environment.tfjs).toEqual(tfjs);
    expect(await readFile(join(runDir, 'config.yaml'), 'utf8')).toContain('lr: 0.001');
    expect(formatRunSummary(record)).toMatch(/ingest +ran .*items=3/);
  });

  it('skips every finished stage on a second run with the same config', async () => {
    const first = await run();
    const second = await run();
    expect(second.status).toEqual({ ingest: 'reused', fit: 'reused', report: 'reused' });
    expect(await counts()).toEqual({ ingest: 1, fit: 1, report: 1 });
    expect(second.record.runId).not.toBe(first.record.runId);
    expect(second.lines.some((l) => /\[fit\] up to date, skipped \(key \w{8}, output of run/.test(l))).toBe(
      true,
    );
    // The new run folder is complete: reused outputs are linked in.
    const model = join(dir, 'runs', second.record.runId, 'fit', 'model.txt');
    expect(await readFile(model, 'utf8')).toContain('lr=0.001');
  });

  it('reruns a stage whose config section changed, and everything downstream, but not upstream', async () => {
    await run();
    const { status } = await run(['train.head.lr=0.01']);
    expect(status).toEqual({ ingest: 'reused', fit: 'ran', report: 'ran' });
    const { status: evalOnly } = await run(['train.head.lr=0.01', 'evaluate.topK=[1]']);
    expect(evalOnly).toEqual({ ingest: 'reused', fit: 'reused', report: 'ran' });
  });

  it('reruns a stage whose external inputs (fingerprint) changed', async () => {
    await run();
    await writeFile(join(control, 'external.txt'), 'new photos');
    expect((await run()).status).toEqual({ ingest: 'ran', fit: 'reused', report: 'reused' });
    // Same output content → downstream keys unchanged.
    expect(await counts()).toEqual({ ingest: 2, fit: 1, report: 1 });
  });

  it('does not reuse an output whose files were edited after it finished', async () => {
    const { record } = await run();
    await writeFile(join(dir, 'runs', record.runId, 'ingest', 'items.json'), 'tampered');
    expect((await run()).status.ingest).toBe('ran');
  });

  it('--force reruns everything; --from reruns a stage and what follows', async () => {
    await run();
    expect((await run([], { force: true })).status).toEqual({ ingest: 'ran', fit: 'ran', report: 'ran' });
    expect((await run([], { request: { from: 'fit' } })).status).toEqual({
      ingest: 'reused',
      fit: 'ran',
      report: 'ran',
    });
    expect(await counts()).toEqual({ ingest: 2, fit: 3, report: 3 });
  });

  it('--stages runs the named stages plus what they need', async () => {
    const { status } = await run([], { request: { stages: ['fit'] } });
    expect(status).toEqual({ ingest: 'ran', fit: 'ran' });
  });

  it('a failed stage fails the run (exit 1), keeps no half-written folder, and a rerun continues in the same run', async () => {
    await writeFile(join(control, 'fail-fit'), '');
    const failed = await run();
    expect(failed.record).toMatchObject({ status: 'failed', exitCode: 1, error: 'fit: fit diverged' });
    expect(failed.status).toEqual({ ingest: 'ran', fit: 'failed', report: 'not-run' });
    const runDir = join(dir, 'runs', failed.record.runId);
    expect((await readdir(runDir)).sort()).toEqual(['config.yaml', 'ingest', 'run.json']);

    await rm(join(control, 'fail-fit'));
    const resumed = await run();
    expect(resumed.record.runId).toBe(failed.record.runId);
    expect(resumed.status).toEqual({ ingest: 'reused', fit: 'ran', report: 'ran' });
    // fit found its checkpoint in workDir from the failed attempt.
    expect(resumed.record.stages[1]!.summary).toMatchObject({ resumed: true });
    expect(await counts()).toEqual({ ingest: 1, fit: 2, report: 1 });
  });

  it('a killed run resumes at the first unfinished stage, from its checkpoint', async () => {
    await writeFile(join(control, 'hang'), '');
    const script = resolve(__dirname, 'fixtures/run-fake-pipeline.ts');
    const child = spawn(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), script, configPath, control],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    await new Promise<void>((done, fail) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('checkpointed') && done());
      child.on('exit', (code) => fail(new Error(`pipeline exited early (${code})`)));
    });
    child.kill('SIGKILL');
    await new Promise((done) => child.on('exit', done));

    const [runId] = await readdir(join(dir, 'runs')).then((names) => names.filter((n) => !n.startsWith('.')));
    const runDir = join(dir, 'runs', runId!);
    // The killed stage left only a temp folder, never runs/<id>/fit.
    expect((await readdir(runDir)).filter((n) => !n.startsWith('.')).sort()).toEqual([
      'config.yaml',
      'ingest',
      'run.json',
    ]);

    await rm(join(control, 'hang'));
    const resumed = await run();
    expect(resumed.record.runId).toBe(runId);
    expect(resumed.status).toEqual({ ingest: 'reused', fit: 'ran', report: 'ran' });
    expect(resumed.record.stages[1]!.summary).toMatchObject({ resumed: true });
    expect(await readdir(runDir)).not.toContain(expect.stringMatching(/\.tmp-/));
    await expect(stat(join(runDir, 'fit', 'partial.txt'))).rejects.toThrow();
    expect(await counts()).toEqual({ ingest: 1, fit: 2, report: 1 });
  });

  it('dry run prints the plan and writes nothing', async () => {
    const dry = await run([], { dryRun: true });
    expect(dry.status).toEqual({ ingest: 'will-run', fit: 'will-run', report: 'will-run' });
    await expect(stat(join(dir, 'runs'))).rejects.toThrow();
    await run();
    const again = await run(['evaluate.topK=[1]'], { dryRun: true });
    expect(again.status).toEqual({ ingest: 'will-reuse', fit: 'will-reuse', report: 'will-run' });
  });

  it('refuses unknown stages and unusable runs dirs before writing anything', async () => {
    const error = await run([], { request: { stages: ['fitt'] } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).toLine()).toBe(
      '--stages: unknown stage "fitt"; did you mean "fit"? (stages: ingest, fit, report)',
    );

    await writeFile(join(dir, 'a-file'), '');
    const blocked = await run(['runsDir=a-file/runs']).catch((e: unknown) => e);
    expect((blocked as UsageError).toLine()).toMatch(
      /runsDir: runs dir .*a-file\/runs is not writable: .*a-file is not a folder/,
    );

    if (process.getuid?.() !== 0) {
      await mkdir(join(dir, 'locked'));
      await chmod(join(dir, 'locked'), 0o555);
      const locked = await run(['runsDir=locked/runs']).catch((e: unknown) => e);
      expect((locked as UsageError).toLine()).toMatch(/is not writable/);
    }
    await expect(stat(join(dir, 'runs'))).rejects.toThrow();
    expect(await counts()).toEqual({ ingest: 0, fit: 0, report: 0 });
  });
});
