import type { Logger } from '@plantid/core';
import { type QuantizeStats, quantizeFp16 } from './fp16.js';
import { quantizeInt8 } from './int8.js';

export type QuantizeKind = 'fp16' | 'int8';

/** What the manifest stores per variant; the accuracy change comes from the parity check. */
export interface QuantizationReport {
  bytes: number;
  /** File size relative to the fp32 model. */
  sizeRatio: number;
  method: string;
  tensors: number;
}

const METHODS: Record<
  QuantizeKind,
  { run: (fp32: Uint8Array) => { bytes: Uint8Array; stats: QuantizeStats }; method: string }
> = {
  fp16: { run: quantizeFp16, method: 'float16 weights, Cast to float32 at load' },
  int8: {
    run: quantizeInt8,
    method: 'int8 per-channel symmetric weights (DequantizeLinear), float32 activations',
  },
};

/** Makes each requested variant from the fp32 ONNX bytes and reports its size. */
export async function quantizeVariants(
  fp32: Uint8Array,
  kinds: readonly QuantizeKind[],
  log?: Logger,
): Promise<{
  onnx: Partial<Record<QuantizeKind, Uint8Array>>;
  report: Partial<Record<QuantizeKind, QuantizationReport>>;
}> {
  const onnx: Partial<Record<QuantizeKind, Uint8Array>> = {};
  const report: Partial<Record<QuantizeKind, QuantizationReport>> = {};
  for (const kind of kinds) {
    const { run, method } = METHODS[kind];
    const { bytes, stats } = run(fp32);
    onnx[kind] = bytes;
    report[kind] = {
      bytes: bytes.byteLength,
      sizeRatio: bytes.byteLength / fp32.byteLength,
      method,
      tensors: stats.tensors,
    };
    log?.info(
      `${kind} variant: ${(bytes.byteLength / 1e6).toFixed(2)} MB (${((100 * bytes.byteLength) / fp32.byteLength).toFixed(0)} % of fp32), ${stats.tensors} tensors`,
    );
  }
  return { onnx, report };
}
