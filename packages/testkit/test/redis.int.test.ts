import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processGroupMembers, startRedis } from '../src/index.js';

describe('startRedis', () => {
  it('starts redis-server on loopback, stores and reads a key, stops with no process or dir left', async () => {
    const redis = await startRedis();
    try {
      expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
      expect(await redis.cli('SET', 'prediction:1', 'photo-bytes')).toBe('OK');
      expect(await redis.cli('GET', 'prediction:1')).toBe('photo-bytes');
      expect(await redis.cli('CONFIG', 'GET', 'bind')).toContain('127.0.0.1');
    } finally {
      await redis.stop();
    }
    expect(processGroupMembers(redis.pid)).toEqual([]);
    expect(existsSync(redis.dir)).toBe(false);
    await expect(redis.cli('PING')).rejects.toThrow();
  });
});
