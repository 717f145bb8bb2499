import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLayersModel } from '@plantid/engine';
import { decodeModel, layersModelToOnnx } from '@plantid/onnx-convert';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxCheck } from '../../../test/support/onnx-checker.js';
import { quantizeVariants } from '../src/quantize/quantize.js';
import { SHARED_MODEL } from './quantize-parity-helpers.js';

describe('quantizeVariants on the shared MobileNetV2', () => {
  let dir: string;
  let fp32: Uint8Array;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plantid-quantize-'));
    fp32 = layersModelToOnnx(await loadLayersModel(SHARED_MODEL));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes fp16 (~½ size) and int8 (~⅓ size) variants that pass the official ONNX checker', async () => {
    const { onnx, report } = await quantizeVariants(fp32, ['fp16', 'int8']);
    expect(report.fp16?.bytes).toBe(onnx.fp16?.byteLength);
    expect(report.fp16?.sizeRatio).toBeLessThan(0.55);
    expect(report.int8?.sizeRatio).toBeLessThan(0.35);
    // 34 of the 35 regular convs (one has < 256 weights) + the 1280×100 dense; depthwise kernels and the 100×2 head stay float32.
    expect(report.int8?.tensors).toBe(35);
    const ops = (bytes: Uint8Array | undefined) =>
      new Set(decodeModel(bytes as Uint8Array).graph?.node?.map((n) => n.opType));
    expect(ops(onnx.fp16).has('Cast')).toBe(true);
    expect(ops(onnx.int8).has('DequantizeLinear')).toBe(true);
    const paths = {
      fp32: join(dir, 'model.onnx'),
      fp16: join(dir, 'model.fp16.onnx'),
      int8: join(dir, 'model.int8.onnx'),
    };
    await writeFile(paths.fp32, fp32);
    await writeFile(paths.fp16, onnx.fp16 as Uint8Array);
    await writeFile(paths.int8, onnx.int8 as Uint8Array);
    await onnxCheck(Object.values(paths));
  });

  it('makes only what is asked for', async () => {
    const { onnx, report } = await quantizeVariants(fp32, ['int8']);
    expect(Object.keys(onnx)).toEqual(['int8']);
    expect(Object.keys(report)).toEqual(['int8']);
  });
});
