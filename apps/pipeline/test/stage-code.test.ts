import { codeHash } from '@plantid/core';
import { describe, expect, it } from 'vitest';
import { stageRegistry } from '../src/stages.js';

describe('registered stages', () => {
  it('each name the code they run, so an edit to it (or to a package it uses) reruns them without a version bump', async () => {
    const hashes = new Map<string, string>();
    for (const stage of stageRegistry) {
      expect(stage.code, `${stage.name} has no code`).toBeDefined();
      hashes.set(stage.name, await codeHash(stage.code!));
    }
    // Each stage's package differs, so each key sees different code.
    expect(new Set(hashes.values()).size).toBe(stageRegistry.length);
  });
});
