import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

export interface CpuBudget {
  /** Whole CPUs this process may keep busy: min(affinity, cgroup quota rounded up), at least 1. */
  cpus: number;
  /** CPUs the scheduler lets this process run on (sched_getaffinity, via os.availableParallelism). */
  affinity: number;
  /** The cgroup CPU quota in CPUs (quota / period; may be fractional), or null when unlimited. */
  quota: number | null;
  /** Where the quota came from (`cgroup v2 /sys/fs/cgroup/…/cpu.max`), for logs. */
  source: string;
}

export interface CpuBudgetOptions {
  /** Root of the cgroup filesystem (tests point it at a generated tree). */
  cgroupRoot?: string;
  /** Contents of /proc/self/cgroup. */
  procSelfCgroup?: string;
  affinity?: number;
}

/**
 * How many CPUs this process may really use: a container limited to 1.5 CPUs on a 64-core host
 * gets 2, not 64 (os.availableParallelism() sees affinity only, not the CFS quota). Reads cgroup
 * v2 `cpu.max` of this process's cgroup and of each parent (the tightest wins), else cgroup v1
 * `cpu.cfs_quota_us` / `cpu.cfs_period_us`. Worker and thread counts are chosen from it.
 */
export function cpuBudget(options: CpuBudgetOptions = {}): CpuBudget {
  const root = options.cgroupRoot ?? '/sys/fs/cgroup';
  const affinity = Math.max(1, options.affinity ?? availableParallelism());
  const self = options.procSelfCgroup ?? readText('/proc/self/cgroup') ?? '';
  const found = cgroupV2Quota(root, self) ?? cgroupV1Quota(root, self);
  if (!found) return { cpus: affinity, affinity, quota: null, source: 'affinity' };
  const cpus = Math.max(1, Math.min(affinity, Math.ceil(found.quota - 1e-9)));
  return { cpus, affinity, quota: found.quota, source: found.source };
}

type Quota = { quota: number; source: string };

function cgroupV2Quota(root: string, self: string): Quota | null {
  const line = self.split('\n').find((l) => l.startsWith('0::'));
  if (line === undefined) return null;
  let best: Quota | null = null;
  // The process's own cgroup, then each parent up to the root: a parent's limit binds its children.
  for (let dir = line.slice(3).trim() || '/'; ; dir = parent(dir)) {
    const file = join(root, dir, 'cpu.max');
    const text = readText(file);
    if (text !== undefined) {
      const [max, period] = text.trim().split(/\s+/);
      const quota = max === 'max' ? null : Number(max) / Number(period ?? 100_000);
      if (quota !== null && Number.isFinite(quota) && quota > 0 && (!best || quota < best.quota))
        best = { quota, source: `cgroup v2 ${file}` };
    }
    if (dir === '/') break;
  }
  return best;
}

function cgroupV1Quota(root: string, self: string): Quota | null {
  const line = self.split('\n').find((l) => /^\d+:[^:]*\bcpu\b[^:]*:/.test(l));
  const path = line?.split(':')[2]?.trim() ?? '/';
  for (const dir of [join(root, 'cpu', path), join(root, 'cpu,cpuacct', path), join(root, 'cpu')]) {
    const quota = Number(readText(join(dir, 'cpu.cfs_quota_us')));
    const period = Number(readText(join(dir, 'cpu.cfs_period_us')));
    if (Number.isFinite(quota) && quota > 0 && Number.isFinite(period) && period > 0)
      return { quota: quota / period, source: `cgroup v1 ${join(dir, 'cpu.cfs_quota_us')}` };
  }
  return null;
}

function parent(dir: string): string {
  const cut = dir.replace(/\/+$/, '').lastIndexOf('/');
  return cut <= 0 ? '/' : dir.slice(0, cut);
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
