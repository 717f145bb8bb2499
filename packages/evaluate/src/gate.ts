import type { GateCheck, GateResult, PlantidConfig } from '@plantid/core';

export type GateConfig = PlantidConfig['evaluate']['gate'];

export interface GateInput {
  top1: number;
  /** Per class recall on the test split, with display names. */
  recalls: { name: string; recall: number }[];
  /** Test ECE after temperature scaling. */
  ece: number;
}

function check(key: string, what: string, kind: 'min' | 'max', threshold: number, actual: number): GateCheck {
  const passed = kind === 'min' ? actual >= threshold : actual <= threshold;
  const shortfall = passed ? 0 : Math.abs(actual - threshold);
  return { key, what, threshold, actual, kind, passed, shortfall };
}

/** The "blessing": every configured threshold against the test figures. */
export function checkGate(gate: GateConfig, input: GateInput): GateResult {
  const checks: GateCheck[] = [];
  if (gate.top1 !== undefined)
    checks.push(check('evaluate.gate.top1', 'test top-1', 'min', gate.top1, input.top1));
  if (gate.minRecall !== undefined) {
    for (const c of input.recalls)
      checks.push(check('evaluate.gate.minRecall', `recall of "${c.name}"`, 'min', gate.minRecall, c.recall));
  }
  if (gate.maxEce !== undefined)
    checks.push(
      check('evaluate.gate.maxEce', 'test ECE after temperature scaling', 'max', gate.maxEce, input.ece),
    );
  return { passed: checks.every((c) => c.passed), checks };
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/** One line per failed check: which threshold failed and by how much. */
export function describeFailures(result: GateResult): string[] {
  return result.checks
    .filter((c) => !c.passed)
    .map((c) =>
      c.kind === 'min'
        ? `${c.key}: ${c.what} is ${pct(c.actual)}, below the required ${pct(c.threshold)} by ${pct(c.shortfall)}`
        : `${c.key}: ${c.what} is ${c.actual.toFixed(4)}, above the allowed ${c.threshold.toFixed(4)} by ${c.shortfall.toFixed(4)}`,
    );
}
