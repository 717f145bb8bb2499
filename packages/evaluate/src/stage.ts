import { defineStage, readDatasetOutput, readTrainOutput } from '@plantid/core';
import { evaluateRun } from './evaluate.js';
import type { EvaluateInputs } from './inputs.js';

/** The evaluate stage: metrics, calibration, report and gate on the trained model. */
export const evaluateStage = defineStage<EvaluateInputs>({
  name: 'evaluate',
  description:
    'Test/val metrics, temperature scaling, leakage re-check, report.html, and the gate (exit 1 when it fails)',
  version: '1',
  code: import.meta.url,
  needs: ['dataset', 'train'],
  readers: { dataset: readDatasetOutput, train: readTrainOutput },
  // `data` for the near-duplicate rule of the leakage check and the roots of the image paths.
  configKeys: ['seed', 'data', 'evaluate', 'preprocess', 'engine', 'model'],
  outputs: ['metrics.json', 'openset.json', 'report.html', 'confusion.png'],
  run: evaluateRun,
});
