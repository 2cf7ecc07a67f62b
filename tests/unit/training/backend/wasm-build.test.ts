import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileKernelsWasm, RELAXED_WASM_URL, WASM_URL } from '../../../../main/training/backend/wasm/build.ts';

describe('kernel modules', () => {
  it.each([
    ['kernels.wasm', WASM_URL, false],
    ['kernels-relaxed.wasm', RELAXED_WASM_URL, true],
  ] as const)('%s is what conv.as and norm.as compile to (run `npm run build:wasm` after editing them)', async (_name, url, relaxed) => {
    const built = await compileKernelsWasm(relaxed);
    const committed = new Uint8Array(readFileSync(url));
    expect(committed.length).toBeGreaterThan(0);
    expect(Buffer.from(built).equals(Buffer.from(committed))).toBe(true);
  });
});
