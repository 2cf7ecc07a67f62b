// Builds conv.wasm from conv.as with AssemblyScript (a devDependency: users get the committed conv.wasm, and a unit
// test rebuilds it and compares bytes so source and binary cannot drift). Run: `npm run build:wasm`.
// The source is named .as, not .ts, so the project's TypeScript and eslint do not read AssemblyScript.
import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SOURCE_URL = new URL('./conv.as', import.meta.url);
export const WASM_URL = new URL('./conv.wasm', import.meta.url);

/** Memory the module imports: shared (so worker threads can run on the same buffers), at most 2 GiB. */
export const MAX_PAGES = 32768;

export async function compileConvWasm(): Promise<Uint8Array> {
  const asc = (await import('assemblyscript/asc')).default;
  const source = await fs.readFile(SOURCE_URL, 'utf8');
  const result = await asc.compileString(
    { 'conv.ts': source },
    {
      optimizeLevel: 3,
      shrinkLevel: 0,
      runtime: 'stub',
      noAssert: true,
      importMemory: true,
      sharedMemory: true,
      initialMemory: 1,
      maximumMemory: MAX_PAGES,
      enable: ['simd', 'threads', 'bulk-memory'],
    },
  );
  if (result.error || !result.binary) throw new Error(`AssemblyScript build of conv.as failed: ${String(result.error)}\n${result.stderr.toString()}`);
  return result.binary;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const binary = await compileConvWasm();
  const tmp = new URL(`./conv.wasm.${process.pid}.tmp`, import.meta.url);
  await fs.writeFile(tmp, binary);
  await fs.rename(tmp, WASM_URL); // never a half-written conv.wasm
  process.stdout.write(`wrote ${fileURLToPath(WASM_URL)} (${binary.length} bytes)\n`);
}
