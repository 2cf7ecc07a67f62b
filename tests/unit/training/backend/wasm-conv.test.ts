import { describe, expect, it } from 'vitest';
import { WasmConv, type ConvGeometry } from '../../../../main/training/backend/wasm-conv.ts';
import { kernelVariant, loadKernelModule, WasmPool, type KernelVariant } from '../../../../main/training/backend/wasm-pool.ts';
import { maxAbsDiff, randomValues as random } from './setup.ts';

// Both builds where this runtime has relaxed SIMD (Node 20 gets it by flag, Node 22 by default).
const variants: KernelVariant[] = kernelVariant() === 'relaxed-simd' ? ['relaxed-simd', 'simd'] : ['simd'];
const engines = variants.map((variant) => {
  const pool = new WasmPool(loadKernelModule(variant), 1);
  return { variant, patchMatrix: new WasmConv(pool, { implicit: false }), implicit: new WasmConv(pool, { implicit: true }) };
});

const size = (input: number, k: number, stride: number, pad: number, dilation: number): number => Math.floor((input + 2 * pad - dilation * (k - 1) - 1) / stride) + 1;

/** A geometry from input size, kernel, stride, padding and dilation per axis (depth, height, width). */
function geometry(batch: number, input: number[], inC: number, outC: number, k: number[], stride: number[], pad: number[], dilation: number[]): ConvGeometry {
  const out = input.map((s, i) => size(s, k[i], stride[i], pad[i], dilation[i]));
  return {
    batch, inD: input[0], inH: input[1], inW: input[2], inC, outD: out[0], outH: out[1], outW: out[2], outC,
    kD: k[0], kH: k[1], kW: k[2], strideD: stride[0], strideH: stride[1], strideW: stride[2],
    dilationD: dilation[0], dilationH: dilation[1], dilationW: dilation[2], padFront: pad[0], padTop: pad[1], padLeft: pad[2],
  };
}

/** Naive channels-last convolution, the definition. */
function reference(g: ConvGeometry, x: Float32Array, w: Float32Array): Float32Array {
  const y = new Float32Array(g.batch * g.outD * g.outH * g.outW * g.outC);
  let o = 0;
  for (let b = 0; b < g.batch; b++)
    for (let od = 0; od < g.outD; od++)
      for (let oh = 0; oh < g.outH; oh++)
        for (let ow = 0; ow < g.outW; ow++, o += g.outC)
          for (let kd = 0; kd < g.kD; kd++)
            for (let kh = 0; kh < g.kH; kh++)
              for (let kw = 0; kw < g.kW; kw++) {
                const id = od * g.strideD - g.padFront + kd * g.dilationD;
                const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
                const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
                if (id < 0 || ih < 0 || iw < 0 || id >= g.inD || ih >= g.inH || iw >= g.inW) continue;
                const xi = (((b * g.inD + id) * g.inH + ih) * g.inW + iw) * g.inC;
                const wi = ((kd * g.kH + kh) * g.kW + kw) * g.inC * g.outC;
                for (let ci = 0; ci < g.inC; ci++) for (let co = 0; co < g.outC; co++) y[o + co] += x[xi + ci] * w[wi + ci * g.outC + co];
              }
  return y;
}

describe('implicit GEMM convolution', () => {
  const cases = [
    { name: '3x3x3 same, 8 -> 8 channels (tiles and both line ends)', g: geometry(2, [4, 5, 11], 8, 8, [3, 3, 3], [1, 1, 1], [1, 1, 1], [1, 1, 1]) },
    { name: '1 input channel, 5 output channels (padded panel)', g: geometry(1, [3, 6, 9], 1, 5, [3, 3, 3], [1, 1, 1], [1, 1, 1], [1, 1, 1]) },
    { name: '2D 3x3, 3 -> 16 channels', g: geometry(2, [1, 7, 13], 3, 16, [1, 3, 3], [1, 1, 1], [0, 1, 1], [1, 1, 1]) },
    { name: 'stride 2 with padding, 12 -> 17 channels', g: geometry(1, [5, 7, 9], 12, 17, [3, 3, 3], [2, 2, 2], [1, 1, 1], [1, 1, 1]) },
    { name: 'dilation 2, no padding', g: geometry(1, [6, 6, 12], 4, 8, [3, 3, 3], [1, 1, 1], [0, 0, 0], [2, 2, 2]) },
    { name: 'kernel wider than the line is long (no interior tile)', g: geometry(1, [2, 3, 2], 4, 8, [1, 3, 5], [1, 1, 1], [0, 1, 2], [1, 1, 1]) },
    { name: 'padding 2 with a 3-wide kernel (output wider than input)', g: geometry(1, [1, 4, 6], 8, 3, [1, 3, 3], [1, 1, 1], [0, 2, 2], [1, 1, 1]) },
    { name: '2x2x2 stride 2 (downsampling), 16 -> 32', g: geometry(2, [4, 4, 8], 16, 32, [2, 2, 2], [2, 2, 2], [0, 0, 0], [1, 1, 1]) },
  ].flatMap((c) => engines.map((e) => ({ ...c, ...e })));

  it.each(cases)('$name ($variant): forward equals the definition and the patch-matrix path', ({ g, implicit, patchMatrix }) => {
    const x = random(g.batch * g.inD * g.inH * g.inW * g.inC, 1);
    const w = random(g.kD * g.kH * g.kW * g.inC * g.outC, 2);
    const want = reference(g, x, w);
    expect(maxAbsDiff(implicit.conv(g, x, w), want)).toBeLessThan(1e-4);
    expect(maxAbsDiff(patchMatrix.conv(g, x, w), want)).toBeLessThan(1e-4);
  });

  it.each(cases)('$name ($variant): filter and input gradients equal the patch-matrix path', ({ g, implicit, patchMatrix }) => {
    const x = random(g.batch * g.inD * g.inH * g.inW * g.inC, 3);
    const w = random(g.kD * g.kH * g.kW * g.inC * g.outC, 4);
    const dy = random(g.batch * g.outD * g.outH * g.outW * g.outC, 5);
    expect(maxAbsDiff(implicit.backpropFilter(g, x, dy), patchMatrix.backpropFilter(g, x, dy))).toBeLessThan(1e-4);
    expect(maxAbsDiff(implicit.backpropInput(g, dy, w), patchMatrix.backpropInput(g, dy, w))).toBeLessThan(1e-4);
  });

  it.each(engines)('filter gradient is the adjoint of the forward: <conv(x, w), dy> = <w, dW(x, dy)> ($variant)', ({ implicit }) => {
    const g = cases[3].g;
    const x = random(g.batch * g.inD * g.inH * g.inW * g.inC, 6);
    const w = random(g.kD * g.kH * g.kW * g.inC * g.outC, 7);
    const dy = random(g.batch * g.outD * g.outH * g.outW * g.outC, 8);
    const y = implicit.conv(g, x, w);
    const dw = implicit.backpropFilter(g, x, dy);
    let lhs = 0;
    let rhs = 0;
    for (let i = 0; i < y.length; i++) lhs += y[i] * dy[i];
    for (let i = 0; i < w.length; i++) rhs += w[i] * dw[i];
    expect(Math.abs(lhs - rhs) / Math.abs(lhs)).toBeLessThan(1e-4);
  });
});
