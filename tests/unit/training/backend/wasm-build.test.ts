import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileKernelsWasm, WASM_URL } from '../../../../main/training/backend/wasm/build.ts';

describe('kernels.wasm', () => {
  it('is what conv.as and norm.as compile to (run `npm run build:wasm` after editing them)', async () => {
    const built = await compileKernelsWasm();
    const committed = new Uint8Array(readFileSync(WASM_URL));
    expect(committed.length).toBeGreaterThan(0);
    expect(Buffer.from(built).equals(Buffer.from(committed))).toBe(true);
  });
});
