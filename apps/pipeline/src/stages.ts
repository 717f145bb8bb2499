import type { StageDefinition } from '@plantid/core';

/**
 * Every stage `pipeline run` knows, in pipeline order. Adding a stage is one import and one
 * entry here (and the package in apps/pipeline/package.json dependencies).
 */
export const stageRegistry: readonly StageDefinition[] = [];
