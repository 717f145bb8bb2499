import { execFile } from 'node:child_process';
import { createConnection } from 'node:net';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';
import { makeServiceDir, type Service, startService } from './service.js';
import { setupHint, systemTool } from './tools.js';

export interface RedisServer extends Service {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Runs one command with the real `redis-cli` (e.g. `cli('DBSIZE')`) and returns its output, trimmed. */
  cli(...args: string[]): Promise<string>;
}

export interface RedisOptions {
  /** State dir (kept on stop); a temp dir removed on stop when not given. */
  dir?: string;
}

/** True once the server answers PING with +PONG (inline command over TCP). */
function pongs(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) socket.end();
    });
    socket.on('close', () => resolve(answer.startsWith('+PONG')));
    socket.on('error', () => resolve(false));
  });
}

/** A real redis-server on a free loopback port, no persistence, data dir in a temp dir. */
export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = options.dir ?? (await makeServiceDir('redis'));
  const service = await startService({
    name: 'redis',
    command: systemTool('redis-server'),
    // No config file: everything on the command line; no RDB/AOF writes, loopback only.
    args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    port,
    dir,
    removeDir: options.dir === undefined,
    ready: () => pongs(port),
    hint: setupHint('redis-server'),
  });
  const cli = async (...args: string[]) => {
    const { stdout } = await promisify(execFile)(systemTool('redis-cli'), ['-p', String(port), ...args]);
    return stdout.trim();
  };
  return { ...service, url: `redis://127.0.0.1:${port}`, cli };
}
