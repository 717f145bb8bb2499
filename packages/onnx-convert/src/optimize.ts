import type { GraphBuilder, GraphNode, Initializer } from './graph.js';

/**
 * Graph rewrites that keep outputs identical up to float rounding and make the graph what a
 * hand-written export would be: BatchNormalization folded into the Conv/Gemm before it, and
 * zero Pad folded into the following Conv's pads.
 */
export function optimizeGraph(g: GraphBuilder): { foldedBatchNorms: number; foldedPads: number } {
  return { foldedBatchNorms: foldBatchNorms(g), foldedPads: foldPads(g) };
}

function floatInit(
  g: GraphBuilder,
  name: string | undefined,
): (Initializer & { data: Float32Array }) | undefined {
  if (name == null) return undefined;
  const init = g.initializers.get(name);
  return init && init.data instanceof Float32Array
    ? (init as Initializer & { data: Float32Array })
    : undefined;
}

/** The node's output feeds only `next` and is not a graph output; its weights are used by it alone. */
function soleLink(g: GraphNode[], node: GraphNode, isOutput: boolean): GraphNode | undefined {
  if (isOutput) return undefined;
  const out = node.outputs[0] as string;
  const readers = g.filter((n) => n.inputs.includes(out));
  return readers.length === 1 ? readers[0] : undefined;
}

function usedOnlyBy(g: GraphBuilder, value: string, node: GraphNode): boolean {
  return g.nodes.every((n) => n === node || !n.inputs.includes(value));
}

function foldBatchNorms(g: GraphBuilder): number {
  let folded = 0;
  for (const producer of [...g.nodes]) {
    if (producer.opType !== 'Conv' && producer.opType !== 'Gemm') continue;
    if (
      producer.opType === 'Gemm' &&
      (producer.attributes.transB || producer.attributes.alpha || producer.attributes.beta)
    )
      continue;
    const bn = soleLink(g.nodes, producer, g.isGraphOutput(producer.outputs[0] as string));
    if (bn?.opType !== 'BatchNormalization' || bn.inputs[0] !== producer.outputs[0]) continue;
    const weight = floatInit(g, producer.inputs[1]);
    if (!weight || !usedOnlyBy(g, weight.name, producer)) continue;
    const bias = floatInit(g, producer.inputs[2]);
    if (bias && !usedOnlyBy(g, bias.name, producer)) continue;
    const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => floatInit(g, bn.inputs[i]));
    if (!gamma || !beta || !mean || !variance) continue;
    const eps = (bn.attributes.epsilon as { float: number } | undefined)?.float ?? 1e-5;
    const channels = gamma.data.length;
    const scale = new Float64Array(channels);
    for (let c = 0; c < channels; c++)
      scale[c] = (gamma.data[c] as number) / Math.sqrt((variance.data[c] as number) + eps);
    const w = weight.data;
    if (producer.opType === 'Conv') {
      // Conv weight [out, in/group, kh, kw]: scale each output channel's block.
      const block = w.length / channels;
      for (let c = 0; c < channels; c++)
        for (let k = c * block; k < (c + 1) * block; k++) w[k] = (w[k] as number) * (scale[c] as number);
    } else {
      // Gemm weight [in, out]: scale each column.
      for (let k = 0; k < w.length; k++) w[k] = (w[k] as number) * (scale[k % channels] as number);
    }
    const newBias = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      const b = bias ? (bias.data[c] as number) : 0;
      newBias[c] = (b - (mean.data[c] as number)) * (scale[c] as number) + (beta.data[c] as number);
    }
    if (bias) bias.data.set(newBias);
    else producer.inputs[2] = g.addInitializer(`${producer.name}_B`, [channels], newBias);
    producer.outputs[0] = bn.outputs[0] as string;
    g.nodes.splice(g.nodes.indexOf(bn), 1);
    for (const name of bn.inputs.slice(1))
      if (g.nodes.every((n) => !n.inputs.includes(name))) g.initializers.delete(name);
    folded++;
  }
  return folded;
}

function foldPads(g: GraphBuilder): number {
  let folded = 0;
  for (const pad of [...g.nodes]) {
    if (pad.opType !== 'Pad' || pad.attributes.mode !== 'constant' || pad.inputs.length > 2) continue;
    const conv = soleLink(g.nodes, pad, g.isGraphOutput(pad.outputs[0] as string));
    if (conv?.opType !== 'Conv' || conv.inputs[0] !== pad.outputs[0] || conv.attributes.auto_pad) continue;
    const padsInit = g.initializers.get(pad.inputs[1] as string);
    if (!padsInit || !(padsInit.data instanceof BigInt64Array)) continue;
    const p = [...padsInit.data].map(Number);
    // NCHW pads [n0, c0, t, l, n1, c1, b, r]: only spatial padding can move into Conv.
    if (p[0] || p[1] || p[4] || p[5]) continue;
    const convPads = (conv.attributes.pads as number[] | undefined) ?? [0, 0, 0, 0];
    conv.attributes.pads = [
      (convPads[0] as number) + (p[2] as number),
      (convPads[1] as number) + (p[3] as number),
      (convPads[2] as number) + (p[6] as number),
      (convPads[3] as number) + (p[7] as number),
    ];
    conv.inputs[0] = pad.inputs[0] as string;
    g.nodes.splice(g.nodes.indexOf(pad), 1);
    if (g.nodes.every((n) => !n.inputs.includes(padsInit.name))) g.initializers.delete(padsInit.name);
    folded++;
  }
  return folded;
}
