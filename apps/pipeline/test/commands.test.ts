import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineStage, type StageDefinition, WorkError } from '@plantid/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { runInProcess } from './in-process.js';

// Two small real stages; the CLI runs them in-process so the test can read what it printed.
function stages(failGate: { value: boolean }): StageDefinition[] {
  return [
    defineStage({
      name: 'count',
      description: 'counts to three',
      version: '1',
      needs: [],
      configKeys: ['seed'],
      outputs: ['count.json'],
      async run(ctx) {
        const progress = ctx.progress('counting', 3, 'n');
        for (let i = 0; i < 3; i++) progress.tick();
        progress.stop();
        await writeFile(join(ctx.outDir, 'count.json'), JSON.stringify({ n: 3, seed: ctx.config.seed }));
        return { n: 3 };
      },
    }),
    defineStage({
      name: 'gate',
      description: 'passes unless told not to',
      version: '1',
      needs: ['count'],
      configKeys: ['evaluate'],
      outputs: ['gate.json'],
      async run(ctx) {
        const { n } = JSON.parse(await readFile(join(ctx.inputs.count!, 'count.json'), 'utf8'));
        if (failGate.value)
          throw new WorkError(`top-1 0.42 is below the gate 0.85`, { where: 'evaluate.gate.top1' });
        await writeFile(join(ctx.outDir, 'gate.json'), JSON.stringify({ n, pass: true }));
        return { pass: true };
      },
    }),
  ];
}

let dir: string;
const failGate = { value: false };

function cli(...argv: string[]) {
  return runInProcess(argv, stages(failGate));
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plantid-cmd-'));
  failGate.value = false;
  await writeFile(join(dir, 'c.yaml'), 'runsDir: runs\ndata: { root: photos }\nmodel: { weights: w.json }\n');
});

describe('pipeline run', () => {
  it('runs, prints a summary table, and skips everything the second time', async () => {
    const first = await cli('run', '--config', join(dir, 'c.yaml'));
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^run \S+: done in /);
    expect(first.stdout).toMatch(/\ncount +ran +\S+ ms +\w{8} +n=3/);
    expect(first.stderr).toMatch(/counting 3\/3 n \(100%\) .* done in/);
    const second = await cli('run', '--config', join(dir, 'c.yaml'));
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/\ncount +reused +\w{8} +from \S+, n=3/);
    expect(second.stdout).toMatch(/\ngate +reused/);
    expect(second.stderr).toMatch(/\[count\] up to date, skipped/);
  });

  it('exits 1 with the failure on one line when a stage fails', async () => {
    failGate.value = true;
    const { code, stdout, stderr } = await cli('run', '--config', join(dir, 'c.yaml'));
    expect(code).toBe(1);
    expect(stdout).toMatch(/^run \S+: failed/);
    expect(stdout).toMatch(/\nerror: evaluate\.gate\.top1: top-1 0\.42 is below the gate 0\.85$/m);
    expect(stderr).toMatch(/\[gate\] failed: evaluate\.gate\.top1: top-1 0\.42/);
  });

  it('--log json gives JSON lines on stderr and the run record on stdout', async () => {
    const { code, stdout, stderr } = await cli('run', '--config', join(dir, 'c.yaml'), '--log', 'json');
    expect(code).toBe(0);
    const record = JSON.parse(stdout);
    expect(record.stages.map((s: { status: string }) => s.status)).toEqual(['ran', 'ran']);
    const lines = stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.find((l) => l.msg === 'progress' && l.final)).toMatchObject({
      label: 'counting',
      done: 3,
      total: 3,
    });
    expect(lines.some((l) => l.stage === 'gate' && /done in/.test(l.msg))).toBe(true);
  });

  it('--from reruns the stage and what follows; --dry-run shows it', async () => {
    await cli('run', '--config', join(dir, 'c.yaml'));
    const plan = await cli('run', '--config', join(dir, 'c.yaml'), '--from', 'gate', '--dry-run');
    expect(plan.stdout).toMatch(/\ncount +will-reuse/);
    expect(plan.stdout).toMatch(/\ngate +will-run .*forced \(--from\)/);
  });
});

describe('pipeline stages, graph, runs', () => {
  it('lists stages with needs, config sections and outputs', async () => {
    const { code, stdout } = await cli('stages');
    expect(code).toBe(0);
    expect(stdout).toMatch(/gate +count +evaluate +gate\.json +passes unless told not to/);
  });

  it('prints the graph as DOT and renders SVG in-process', async () => {
    const dot = await cli('graph');
    expect(dot.stdout).toContain('"count" -> "gate";');
    const svgPath = join(dir, 'graph.svg');
    const svg = await cli('graph', '--format', 'svg', '--out', svgPath);
    expect(svg.code).toBe(0);
    const text = await readFile(svgPath, 'utf8');
    expect(text).toMatch(/<svg[\s\S]*<title>count&#45;&gt;gate<\/title>/);
  });

  it('lists runs and shows one; an unknown id exits 2 with a suggestion', async () => {
    const { stdout } = await cli('run', '--config', join(dir, 'c.yaml'), '--log', 'json');
    const { runId } = JSON.parse(stdout);
    const list = await cli('runs', 'list', '--runs-dir', join(dir, 'runs'));
    expect(list.stdout).toMatch(new RegExp(`${runId} +done .*2 ran, 0 reused`));
    const show = await cli('runs', 'show', runId, '--config', join(dir, 'c.yaml'));
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/environment +node v\d+/);
    expect(show.stdout).toMatch(/tfjs +forward: \w+, gradients: \w+/);
    const typo = `${runId.slice(0, -1)}z`;
    const missing = await cli('runs', 'show', typo, '--runs-dir', join(dir, 'runs'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`did you mean "${runId}"?`);
  });
});
