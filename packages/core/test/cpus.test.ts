import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuBudget } from '../src/index.js';

/** A cgroup filesystem tree in a temp dir: `{ 'a/b/cpu.max': '150000 100000' }`. */
function cgroupTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'plantid-cgroup-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('cpuBudget', () => {
  it('cgroup v2: a 1.5-CPU quota on 8 cores gives 2; the tightest of the cgroup and its parents wins', () => {
    const root = cgroupTree({
      'cpu.max': 'max 100000\n',
      'kubepods/cpu.max': '400000 100000\n',
      'kubepods/pod1/cpu.max': '150000 100000\n',
      'kubepods/pod1/app/cpu.max': 'max 100000\n',
    });
    const budget = cpuBudget({ cgroupRoot: root, procSelfCgroup: '0::/kubepods/pod1/app\n', affinity: 8 });
    expect(budget).toMatchObject({ cpus: 2, affinity: 8, quota: 1.5 });
    expect(budget.source).toContain('kubepods/pod1/cpu.max');
  });

  it('cgroup v2 without a limit, or affinity tighter than the quota: affinity decides', () => {
    const unlimited = cgroupTree({ 'cpu.max': 'max 100000\n' });
    expect(cpuBudget({ cgroupRoot: unlimited, procSelfCgroup: '0::/\n', affinity: 4 })).toMatchObject({
      cpus: 4,
      quota: null,
      source: 'affinity',
    });
    const wide = cgroupTree({ 'cpu.max': '800000 100000\n' });
    expect(cpuBudget({ cgroupRoot: wide, procSelfCgroup: '0::/\n', affinity: 2 }).cpus).toBe(2);
  });

  it('cgroup v1: cfs_quota_us / cfs_period_us of the cpu controller; -1 is no limit; never below 1', () => {
    const v1 = cgroupTree({
      'cpu/docker/abc/cpu.cfs_quota_us': '50000\n',
      'cpu/docker/abc/cpu.cfs_period_us': '100000\n',
    });
    const self = '4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n';
    expect(cpuBudget({ cgroupRoot: v1, procSelfCgroup: self, affinity: 16 })).toMatchObject({
      cpus: 1,
      quota: 0.5,
    });
    const none = cgroupTree({ 'cpu/cpu.cfs_quota_us': '-1\n', 'cpu/cpu.cfs_period_us': '100000\n' });
    expect(cpuBudget({ cgroupRoot: none, procSelfCgroup: '1:cpu:/\n', affinity: 3 }).cpus).toBe(3);
  });

  it('on this machine: at least 1 and at most os.availableParallelism()', async () => {
    const { availableParallelism } = await import('node:os');
    const budget = cpuBudget();
    expect(budget.cpus).toBeGreaterThanOrEqual(1);
    expect(budget.cpus).toBeLessThanOrEqual(availableParallelism());
  });
});
