import { afterAll, describe, expect, it } from 'vitest';
import { loadConvModule, WasmConv, type ConvGeometry } from '../../../../main/training/backend/wasm-conv.ts';
import { mulberry32 } from '../../../../main/util/random.ts';

const module = loadConvModule();
const single = new WasmConv(module, 1);
const pooled = new WasmConv(module, 3);

afterAll(async () => {
  await pooled.shutdown();
});

function random(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n }, () => rand() * 2 - 1);
}

function geometry(over: Partial<ConvGeometry>): ConvGeometry {
  return {
    batch: 2, inD: 5, inH: 6, inW: 7, inC: 3, outD: 5, outH: 6, outW: 7, outC: 5, kD: 3, kH: 3, kW: 3,
    strideD: 1, strideH: 1, strideW: 1, dilationD: 1, dilationH: 1, dilationW: 1, padFront: 1, padTop: 1, padLeft: 1,
    ...over,
  };
}

async function whenReady(engine: WasmConv, threads: number): Promise<void> {
  const started = Date.now();
  while (engine.threads < threads) {
    if (Date.now() - started > 20_000) throw new Error(`only ${engine.threads} of ${threads} threads started`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('convolution worker threads', () => {
  const cases = [
    { name: 'stride 1 same, batch 2', g: geometry({}) },
    { name: 'stride 2, 8 output channels (no padding of the width)', g: geometry({ strideD: 2, strideH: 2, strideW: 2, outD: 3, outH: 3, outW: 4, outC: 8 }) },
    { name: '1x1 kernel (direct rows)', g: geometry({ kD: 1, kH: 1, kW: 1, padFront: 0, padTop: 0, padLeft: 0, inC: 6, outC: 4 }) },
  ];

  it.each(cases)('three threads give what one gives: $name', async ({ g }) => {
    await whenReady(pooled, 3);
    const x = random(g.batch * g.inD * g.inH * g.inW * g.inC, 1);
    const w = random(g.kD * g.kH * g.kW * g.inC * g.outC, 2);
    const dy = random(g.batch * g.outD * g.outH * g.outW * g.outC, 3);
    const close = (a: Float32Array, b: Float32Array): void => {
      expect(a.length).toBe(b.length);
      let d = 0;
      for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
      expect(d).toBeLessThan(1e-4);
    };
    expect(pooled.conv(g, x, w)).toEqual(single.conv(g, x, w)); // rows split, same sums
    close(pooled.backpropInput(g, dy, w), single.backpropInput(g, dy, w));
    close(pooled.backpropFilter(g, x, dy), single.backpropFilter(g, x, dy)); // partial sums added in another order
  });

  it('shuts down: workers exit and the engine keeps working on its own thread', async () => {
    const engine = new WasmConv(module, 2);
    await whenReady(engine, 2);
    await engine.shutdown();
    expect(engine.threads).toBe(1);
    const g = geometry({});
    const x = random(g.batch * g.inD * g.inH * g.inW * g.inC, 4);
    const w = random(g.kD * g.kH * g.kW * g.inC * g.outC, 5);
    expect(engine.conv(g, x, w)).toEqual(single.conv(g, x, w));
  });
});
