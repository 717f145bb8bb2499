import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processGroupMembers, startKserve } from '../src/index.js';

const DOUBLER = new URL('./fixtures/doubler_model.py', import.meta.url).pathname;

/** Local addresses (hex ip:port, as /proc/net/tcp{,6} writes them) listening on `port`. */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[3] === '0A' && fields[1]?.endsWith(`:${hexPort}`))
      .map((fields) => fields[1]!),
  );
}

describe('startKserve', () => {
  it('serves a kserve.Model over OIP v2 on 127.0.0.1 only, stops with no process left', async () => {
    const kserve = await startKserve({ script: DOUBLER, args: ['--model_name=doubler'] });
    try {
      expect(listeners(kserve.port)).toEqual([`0100007F:${kserve.port.toString(16).toUpperCase()}`]);
      expect((await fetch(`${kserve.url}/v2/health/live`)).status).toBe(200);
      expect((await fetch(`${kserve.url}/v2/models/doubler/ready`)).status).toBe(200);
      const metadata = (await (await fetch(`${kserve.url}/v2/models/doubler`)).json()) as { name: string };
      expect(metadata.name).toBe('doubler');

      const response = await fetch(`${kserve.url}/v2/models/doubler/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          id: 'r1',
          inputs: [{ name: 'input-0', shape: [1, 3], datatype: 'FP32', data: [0.5, 1, -2] }],
        }),
      });
      expect(response.status).toBe(200);
      const answer = (await response.json()) as { outputs: unknown[] };
      expect(answer).toMatchObject({ model_name: 'doubler', id: 'r1' });
      expect(answer.outputs[0]).toMatchObject({
        name: 'output-0',
        shape: [1, 3],
        datatype: 'FP32',
        data: [1, 2, -4],
      });

      expect((await fetch(`${kserve.url}/v2/models/nope/ready`)).status).toBe(404);
    } finally {
      await kserve.stop();
    }
    expect(processGroupMembers(kserve.pid)).toEqual([]);
  });
});
