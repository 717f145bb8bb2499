import { execFile } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface GitInfo {
  commit: string;
  dirty: boolean;
}

export interface RunEnvironment {
  node: string;
  platform: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  /** What the app adds (apps/pipeline: the tfjs backends engine would pick, decided without loading tfjs). */
  [extra: string]: unknown;
}

/** The commit of the repo holding `dir` and whether tracked files changed; undefined outside git. */
export async function gitInfo(dir: string): Promise<GitInfo | undefined> {
  try {
    const { stdout: commit } = await run('git', ['rev-parse', 'HEAD'], { cwd: dir });
    const { stdout: status } = await run('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: dir,
    });
    return { commit: commit.trim(), dirty: status.trim().length > 0 };
  } catch {
    return undefined;
  }
}

export function runEnvironment(extra: Record<string, unknown> = {}): RunEnvironment {
  const cpuList = cpus();
  return {
    ...extra,
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
}
