import type { GraphBuilder } from './graph.js';

const LOWEST = -3.4028234663852886e38;

/**
 * Keeps a zero `Pad` → `MaxPool` pair from being fused by ONNX Runtime.
 * ORT's PadFusion (level 'basic', since 1.17) moves a zero Pad into MaxPool's pads, but MaxPool
 * pads behave as -inf, so windows of negative values then return a negative maximum instead of
 * tf's 0 (the same bug as onnxsim/onnxsim#290, onnx/optimizer#318). An exact no-op
 * `Max(padded, lowest float)` between the two stops the pattern match; it is one cheap
 * elementwise op on a pattern that appears once in a ResNet stem, and nowhere in MobileNets.
 */
export function guardPadMaxPool(g: GraphBuilder): number {
  let guarded = 0;
  for (const pad of [...g.nodes]) {
    if (pad.opType !== 'Pad') continue;
    const out = pad.outputs[0] as string;
    const pools = g.nodes.filter((n) => n.opType === 'MaxPool' && n.inputs[0] === out);
    if (pools.length === 0) continue;
    const lowest = g.floatScalar(`${pad.name}_lowest`, LOWEST);
    const guardedOut = g.uniqueName(`${pad.name}_guarded`);
    g.nodes.splice(g.nodes.indexOf(pad) + 1, 0, {
      opType: 'Max',
      name: guardedOut,
      inputs: [out, lowest],
      outputs: [guardedOut],
      attributes: {},
    });
    for (const pool of pools) pool.inputs[0] = guardedOut;
    guarded++;
  }
  return guarded;
}
