import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLayersModel } from '@plantid/engine';
import { decodeModel, layersModelToOnnx } from '@plantid/onnx-convert';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxCheck } from '../../../test/support/onnx-checker.js';
import { fromFloat16Bits, toFloat16Bits } from '../src/quantize/float16.js';
import { quantizeVariants } from '../src/quantize/quantize.js';
import { SHARED_MODEL } from './quantize-parity-helpers.js';

describe('float16 encoding', () => {
  it('rounds to nearest even and handles the edges', () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(70000)).toBe(0x7c00);
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001);
    expect(toFloat16Bits(2 ** -26)).toBe(0);
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(Number.NaN)))).toBe(true);
    for (const x of [0.1, -3.25, 7e-5, 123.456])
      expect(Math.abs(fromFloat16Bits(toFloat16Bits(x)) - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -11);
    // Subnormals keep an absolute precision of half the smallest step.
    expect(Math.abs(fromFloat16Bits(toFloat16Bits(1e-5)) - 1e-5)).toBeLessThanOrEqual(2 ** -25);
  });
});

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
