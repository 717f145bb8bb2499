import type { GraphBuilder } from './graph.js';

export type Shape = (number | null)[];

/**
 * A tensor in the ONNX graph. `shape` is always the tfjs (channels-last) shape; `layout` says how
 * the ONNX tensor is stored: 'tf' exactly like tfjs, 'nchw' a rank-4 NHWC tensor stored as NCHW
 * (what ONNX Conv/Pool want). Conversions between the two are inserted lazily and memoised.
 */
export interface Value {
  name: string;
  shape: Shape;
  layout: 'tf' | 'nchw';
}

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

/** What one layer call produced, by layer name: what extra graph outputs can name. */
export interface LayerValues {
  inputs: Value[];
  outputs: Value[];
  /** The output before the layer's own activation (layers with an `activation`). */
  preActivation?: Value;
}

export class ConvertContext {
  private readonly transposed = new Map<string, string>();
  /** The first call of every converted layer (nested models' layers too). */
  readonly layers = new Map<string, LayerValues>();

  constructor(readonly graph: GraphBuilder) {}

  /** Records `value` as the pre-activation output of `layer` (called before its activation is emitted). */
  notePreActivation(layer: string, value: Value): void {
    if (!this.pendingPre.has(layer)) this.pendingPre.set(layer, value);
  }

  /** Records a layer call's inputs and outputs (the first call of each layer name wins). */
  noteLayer(layer: string, inputs: Value[], outputs: Value[]): void {
    if (this.layers.has(layer)) return;
    const preActivation = this.pendingPre.get(layer);
    this.layers.set(layer, { inputs, outputs, ...(preActivation ? { preActivation } : {}) });
  }

  private readonly pendingPre = new Map<string, Value>();

  /** The ONNX name of `value` stored as NCHW (rank 4 only). */
  nchw(value: Value): string {
    if (value.layout === 'nchw') return value.name;
    return this.transpose(value.name, TO_NCHW, 'nchw');
  }

  /** The ONNX name of `value` stored exactly like tfjs. */
  tf(value: Value): string {
    if (value.layout === 'tf') return value.name;
    return this.transpose(value.name, TO_NHWC, 'nhwc');
  }

  /** Maps a tfjs axis of `value` to the axis of its ONNX tensor. */
  axis(value: Value, tfAxis: number): number {
    const rank = value.shape.length;
    const a = tfAxis < 0 ? tfAxis + rank : tfAxis;
    return value.layout === 'nchw' ? (TO_NHWC[a] as number) : a;
  }

  private transpose(name: string, perm: number[], suffix: string): string {
    const key = `${name}|${suffix}`;
    const known = this.transposed.get(key);
    if (known) return known;
    const out = this.graph.op('Transpose', [name], `${name}_${suffix}`, { perm });
    this.transposed.set(key, out);
    return out;
  }
}
