import { UsageError } from '@plantid/core';
import type { EngineOutput } from './engine.js';

/** The outputs `wanted` names (default: the first one), checked against what the model has. */
export function selectOutputs(
  available: readonly EngineOutput[],
  wanted: readonly string[] | undefined,
  where: string,
): EngineOutput[] {
  if (!wanted || wanted.length === 0) return available.slice(0, 1);
  return wanted.map((name) => {
    const found = available.find((o) => o.name === name);
    if (!found)
      throw new UsageError(
        `the model has no output "${name}" (it has: ${available.map((o) => o.name).join(', ')})`,
        { where, hint: 'export the model again with this plantid, or ask for the outputs it has' },
      );
    return found;
  });
}

/** Per image, the selected outputs side by side: `parts[k]` holds n × outputs[k].size floats. */
export function interleaveOutputs(
  parts: readonly Float32Array[],
  outputs: readonly EngineOutput[],
  n: number,
): Float32Array {
  if (parts.length === 1) return parts[0]!;
  const per = outputs.reduce((s, o) => s + o.size, 0);
  const out = new Float32Array(n * per);
  for (let i = 0; i < n; i++) {
    let offset = i * per;
    for (const [k, o] of outputs.entries()) {
      out.set(parts[k]!.subarray(i * o.size, (i + 1) * o.size), offset);
      offset += o.size;
    }
  }
  return out;
}

/** One image's row of `predict`'s result, by output name (views, not copies). */
export function outputsOfRow(
  outputs: readonly EngineOutput[],
  data: Float32Array,
  row = 0,
): Record<string, Float32Array> {
  const per = outputs.reduce((s, o) => s + o.size, 0);
  const named: Record<string, Float32Array> = {};
  let offset = row * per;
  for (const o of outputs) {
    named[o.name] = data.subarray(offset, offset + o.size);
    offset += o.size;
  }
  return named;
}

/** `predict`'s result for n images split by output: each n × size floats, rows in image order. */
export function splitOutputs(
  outputs: readonly EngineOutput[],
  data: Float32Array,
  n: number,
): Record<string, Float32Array> {
  if (outputs.length === 1) return { [outputs[0]!.name]: data };
  const named = Object.fromEntries(outputs.map((o) => [o.name, new Float32Array(n * o.size)]));
  for (let i = 0; i < n; i++) {
    const row = outputsOfRow(outputs, data, i);
    for (const o of outputs) named[o.name]!.set(row[o.name]!, i * o.size);
  }
  return named;
}
