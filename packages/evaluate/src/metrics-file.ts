import type { LeakPair } from '@plantid/dataset';
import type { GateResult } from './gate.js';
import type { Label, SplitMetrics } from './split-metrics.js';

/** `evaluate/metrics.json`: what export bundles and serving reads (`calibration.temperature`). */
export interface MetricsFile {
  version: 1;
  created: string;
  runId: string;
  /** What ran the model, e.g. 'onnxruntime-node 1.23.0 cpu (2 threads)'. */
  engine: string;
  labels: Label[];
  topK: number[];
  test: SplitMetrics;
  val: SplitMetrics;
  calibration: {
    /** Divide the model's logits (log-probabilities) by this before softmax. */
    temperature: number;
    fittedOn: 'val';
    bins: number;
    ece: { test: { before: number; after: number }; val: { before: number; after: number } };
  };
  gate: GateResult;
  leakage: { checked: number; radius: number; unhashed: number; pairs: LeakPair[] };
  skipped: { path: string; reason: string }[];
  previous: { runId: string; sameConfig: boolean; testTop1: number; testMacroF1: number } | null;
}
