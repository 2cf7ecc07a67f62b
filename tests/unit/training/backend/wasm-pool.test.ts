import { afterAll, describe, expect, it } from 'vitest';
import { WasmConv, type ConvGeometry } from '../../../../main/training/backend/wasm-conv.ts';
import { WasmMaxPool } from '../../../../main/training/backend/wasm-maxpool.ts';
import { WasmNorm } from '../../../../main/training/backend/wasm-norm.ts';
import { loadKernelModule, WasmPool } from '../../../../main/training/backend/wasm-pool.ts';
import { randomValues as random } from './setup.ts';

const module = loadKernelModule();
const single = new WasmConv(new WasmPool(module, 1));
const pooled = new WasmConv(new WasmPool(module, 3));
const singleNorm = new WasmNorm(single.pool);
const pooledNorm = new WasmNorm(pooled.pool);
const singleMaxPool = new WasmMaxPool(single.pool);
const pooledMaxPool = new WasmMaxPool(pooled.pool);

afterAll(async () => {
  await pooled.pool.shutdown();
});

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

describe('kernel pool threads', () => {
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
    const engine = new WasmConv(new WasmPool(module, 2));
    await whenReady(engine, 2);
    await engine.pool.shutdown();
    expect(engine.threads).toBe(1);
    const g = geometry({});
    const x = random(g.batch * g.inD * g.inH * g.inW * g.inC, 4);
    const w = random(g.kD * g.kH * g.kW * g.inC * g.outC, 5);
    expect(engine.conv(g, x, w)).toEqual(single.conv(g, x, w));
  });

  it('normalisation: three threads give what one gives, and the sums are those of the data', async () => {
    await whenReady(pooled, 3);
    const shape = { batch: 2, space: 1500, channels: 12 }; // 682 rows per chunk: several chunks per sample
    const n = shape.batch * shape.space * shape.channels;
    const x = random(n, 6);
    const dy = random(n, 7);
    const expected = { s1: new Float64Array(24), s2: new Float64Array(24) };
    for (let i = 0; i < n; i++) {
      const k = Math.floor(i / (shape.space * shape.channels)) * shape.channels + (i % shape.channels);
      expected.s1[k] += x[i];
      expected.s2[k] += x[i] * x[i];
    }
    const seen: Float64Array[] = [];
    const coefficients = (sums: { s1: Float64Array; s2: Float64Array }) => {
      seen.push(sums.s1, sums.s2);
      return { scale: Float32Array.from({ length: 24 }, (_, i) => 1 + i / 10), shift: Float32Array.from({ length: 24 }, (_, i) => -i / 7) };
    };
    const one = singleNorm.forward(shape, x, 0.1, coefficients);
    const three = pooledNorm.forward(shape, x, 0.1, coefficients);
    expect(seen).toHaveLength(4); // sums of x and x^2, on one thread then on three
    seen.forEach((sums, i) => {
      const want = i % 2 === 0 ? expected.s1 : expected.s2;
      for (let k = 0; k < 24; k++) expect(sums[k]).toBeCloseTo(want[k], 6);
    });
    expect(three).toEqual(one); // the output pass is elementwise
    const back = () => ({ A: Float32Array.from({ length: 24 }, (_, i) => i / 3), B: Float32Array.from({ length: 24 }, () => -0.5), C: Float32Array.from({ length: 24 }, (_, i) => i) });
    expect(pooledNorm.backward(shape, x, dy, one, 0.1, back)).toEqual(singleNorm.backward(shape, x, dy, one, 0.1, back));
  });

  it('max pooling: three threads give what one gives (3D, odd sizes, ties, 6 channels)', async () => {
    await whenReady(pooled, 3);
    const g = { batch: 2, channels: 6, inD: 5, inH: 9, inW: 7, outD: 2, outH: 4, outW: 3, kD: 2, kH: 2, kW: 2, strideD: 2, strideH: 2, strideW: 2, padFront: 0, padTop: 0, padLeft: 0 };
    expect(WasmMaxPool.handles(g)).toBe(true);
    const x = random(2 * 5 * 9 * 7 * 6, 9).map((v) => Math.round(v * 2)); // few levels: ties in most windows
    const dy = random(2 * 2 * 4 * 3 * 6, 10);
    expect(pooledMaxPool.forward(g, x)).toEqual(singleMaxPool.forward(g, x));
    for (const lastOnTies of [false, true]) expect(pooledMaxPool.gradient(g, x, dy, lastOnTies)).toEqual(singleMaxPool.gradient(g, x, dy, lastOnTies));
    // Every dy lands once: the gradient sums to dy's sum.
    const total = (a: Float32Array): number => a.reduce((s, v) => s + v, 0);
    expect(total(pooledMaxPool.gradient(g, x, dy, false))).toBeCloseTo(total(dy), 3);
  });

  it('a kernel that fails on this thread still waits for the workers, which stay usable', async () => {
    await whenReady(pooled, 3);
    const pool = pooled.pool;
    const batch = 4;
    const space = 4096;
    const c = 8;
    pool.begin();
    const xAt = pool.alloc(batch * space * c);
    const yAt = pool.alloc(batch * space * c);
    const coef = pool.alloc(2 * batch * c);
    const counter = pool.alloc(16);
    pool.commit();
    pool.clear(counter, 1);
    const outside = 2 ** 31 - 64; // past the memory: this thread traps on its first load
    expect(() => pool.run('normApply', 3, (t) => [t === 0 ? outside : xAt, yAt, coef, 0, 0, batch, space, c, 64, counter])).toThrow(/out of bounds/);
    expect(pooled.threads).toBe(3); // the workers finished and are idle again
    const g = geometry({});
    const x = random(g.batch * g.inD * g.inH * g.inW * g.inC, 11);
    const w = random(g.kD * g.kH * g.kW * g.inC * g.outC, 12);
    expect(pooled.conv(g, x, w)).toEqual(single.conv(g, x, w));
  });
});
