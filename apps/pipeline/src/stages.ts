import type { StageDefinition } from '@plantid/core';
import { datasetStage } from '@plantid/dataset';
import { evaluateStage } from '@plantid/evaluate';
import { exportStage } from '@plantid/export';
import { trainStage } from '@plantid/train';

/**
 * Every stage `pipeline run` knows, in pipeline order. Adding a stage is one import and one
 * entry here (and the package in apps/pipeline/package.json dependencies).
 */
export const stageRegistry: readonly StageDefinition[] = [
  datasetStage,
  trainStage,
  evaluateStage,
  exportStage,
];
