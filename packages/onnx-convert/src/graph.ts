import { AttributeType, DataType, type OnnxTypes } from './proto.js';

export type AttrValue =
  | number
  | string
  | number[]
  | { ints: number[] }
  | { floats: number[] }
  | { float: number };

export interface GraphNode {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttrValue>;
}

/** A float32 or int64 constant held until the model is serialised (optimisation passes rewrite these). */
export interface Initializer {
  name: string;
  dims: number[];
  data: Float32Array | BigInt64Array;
}

export interface GraphValueInfo {
  name: string;
  /** null entries become the symbolic dimension `batch`. */
  shape: (number | null)[];
}

/**
 * A small mutable ONNX graph: nodes in topological order, float32/int64 initialisers,
 * typed inputs/outputs. The converter appends to it; the optimiser rewrites it; `toModel` serialises it.
 */
export class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  readonly initializers = new Map<string, Initializer>();
  readonly inputs: GraphValueInfo[] = [];
  readonly outputs: GraphValueInfo[] = [];
  private readonly used = new Set<string>();

  /** A name not used yet in this graph, derived from `base`. */
  uniqueName(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, '_') || 'v';
    let name = clean;
    for (let i = 1; this.used.has(name); i++) name = `${clean}_${i}`;
    this.used.add(name);
    return name;
  }

  reserve(name: string): void {
    this.used.add(name);
  }

  addNode(
    opType: string,
    inputs: string[],
    nameHint: string,
    attributes: Record<string, AttrValue> = {},
    outputCount = 1,
  ): string[] {
    const name = this.uniqueName(nameHint);
    const outputs =
      outputCount === 1
        ? [name]
        : Array.from({ length: outputCount }, (_, i) => this.uniqueName(`${name}:${i}`));
    this.nodes.push({ opType, name, inputs, outputs, attributes });
    return outputs;
  }

  /** Adds one node and returns its single output name. */
  op(opType: string, inputs: string[], nameHint: string, attributes: Record<string, AttrValue> = {}): string {
    return this.addNode(opType, inputs, nameHint, attributes)[0] as string;
  }

  addInitializer(nameHint: string, dims: number[], data: Float32Array | BigInt64Array): string {
    const name = this.uniqueName(nameHint);
    this.initializers.set(name, { name, dims, data });
    return name;
  }

  floatConst(nameHint: string, values: number[] | Float32Array, dims?: number[]): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    return this.addInitializer(nameHint, dims ?? [data.length], data);
  }

  floatScalar(nameHint: string, value: number): string {
    return this.addInitializer(nameHint, [], Float32Array.of(value));
  }

  int64Const(nameHint: string, values: number[]): string {
    return this.addInitializer(nameHint, [values.length], BigInt64Array.from(values.map((v) => BigInt(v))));
  }

  /** Names of nodes reading `value`, plus whether it is a graph output. */
  consumers(value: string): GraphNode[] {
    return this.nodes.filter((n) => n.inputs.includes(value));
  }

  isGraphOutput(value: string): boolean {
    return this.outputs.some((o) => o.name === value);
  }

  toModel(options: {
    name: string;
    opset: number;
    docString?: string;
    producerVersion: string;
  }): OnnxTypes.IModelProto {
    return {
      irVersion: 8,
      producerName: 'plantid',
      producerVersion: options.producerVersion,
      docString: options.docString ?? '',
      opsetImport: [{ domain: '', version: options.opset }],
      graph: {
        name: options.name,
        node: this.nodes.map(toNodeProto),
        initializer: [...this.initializers.values()].map(toTensorProto),
        input: this.inputs.map(toValueInfo),
        output: this.outputs.map(toValueInfo),
      },
    };
  }
}

function toValueInfo(info: GraphValueInfo): OnnxTypes.IValueInfoProto {
  return {
    name: info.name,
    type: {
      tensorType: {
        elemType: DataType.FLOAT,
        shape: { dim: info.shape.map((d) => (d == null ? { dimParam: 'batch' } : { dimValue: d })) },
      },
    },
  };
}

export function toTensorProto(init: Initializer): OnnxTypes.ITensorProto {
  const bytes = new Uint8Array(init.data.buffer, init.data.byteOffset, init.data.byteLength);
  return {
    name: init.name,
    dims: init.dims,
    dataType: init.data instanceof Float32Array ? DataType.FLOAT : DataType.INT64,
    // raw_data is little-endian, like every platform Node runs on.
    rawData: bytes.slice(),
  };
}

function toNodeProto(node: GraphNode): OnnxTypes.INodeProto {
  return {
    opType: node.opType,
    name: node.name,
    input: node.inputs,
    output: node.outputs,
    attribute: Object.entries(node.attributes).map(([name, value]) => toAttribute(name, value)),
  };
}

function toAttribute(name: string, value: AttrValue): OnnxTypes.IAttributeProto {
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
  if (typeof value === 'string')
    return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if ('ints' in value) return { name, type: AttributeType.INTS, ints: value.ints };
  if ('floats' in value) return { name, type: AttributeType.FLOATS, floats: value.floats };
  return { name, type: AttributeType.FLOAT, f: value.float };
}
