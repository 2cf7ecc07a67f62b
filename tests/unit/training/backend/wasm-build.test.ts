import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileConvWasm, WASM_URL } from '../../../../main/training/backend/wasm/build.ts';

describe('conv.wasm', () => {
  it('is what conv.as compiles to (run `npm run build:wasm` after editing conv.as)', async () => {
    const built = await compileConvWasm();
    const committed = new Uint8Array(readFileSync(WASM_URL));
    expect(committed.length).toBeGreaterThan(0);
    expect(Buffer.from(built).equals(Buffer.from(committed))).toBe(true);
  });
});
