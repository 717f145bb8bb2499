import { describe, expect, it } from 'vitest';
import { checkGate, describeFailures } from '../src/index.js';

describe('gate', () => {
  const input = {
    top1: 0.9,
    recalls: [
      { name: 'Lagundi', recall: 0.95 },
      { name: 'Oregano', recall: 0.6 },
    ],
    ece: 0.04,
  };

  it('passes when every configured threshold holds, and with no thresholds', () => {
    expect(checkGate({ top1: 0.85, minRecall: 0.5, maxEce: 0.05 }, input).passed).toBe(true);
    expect(checkGate({}, input)).toEqual({ passed: true, checks: [] });
  });

  it('says which threshold failed and by how much', () => {
    const result = checkGate({ top1: 0.9999, minRecall: 0.7, maxEce: 0.03 }, input);
    expect(result.passed).toBe(false);
    expect(describeFailures(result)).toEqual([
      'evaluate.gate.top1: test top-1 is 90.00%, below the required 99.99% by 9.99%',
      'evaluate.gate.minRecall: recall of "Oregano" is 60.00%, below the required 70.00% by 10.00%',
      'evaluate.gate.maxEce: test ECE after temperature scaling is 0.0400, above the allowed 0.0300 by 0.0100',
    ]);
    const top1 = result.checks.find((c) => c.key === 'evaluate.gate.top1')!;
    expect(top1.shortfall).toBeCloseTo(0.0999, 10);
  });
});
