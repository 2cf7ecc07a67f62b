// Builds kernels.wasm from conv.as and norm.as with AssemblyScript (a devDependency: users get the committed
// kernels.wasm, and a unit test rebuilds it and compares bytes so sources and binary cannot drift). Run:
// `npm run build:wasm`. The sources are named .as, not .ts, so the project's TypeScript and eslint do not read them.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SOURCE_URLS = [new URL('./conv.as', import.meta.url), new URL('./norm.as', import.meta.url)];
export const WASM_URL = new URL('./kernels.wasm', import.meta.url);

/** Memory the module imports: shared (so worker threads can run on the same buffers), at most 2 GiB. */
export const MAX_PAGES = 32768;

export async function compileKernelsWasm(): Promise<Uint8Array> {
  const asc = (await import('assemblyscript/asc')).default;
  // Every source is an entry file: the module exports what each of them exports.
  const sources: Record<string, string> = {};
  for (const url of SOURCE_URLS) sources[path.basename(fileURLToPath(url)).replace(/\.as$/, '.ts')] = await fs.readFile(url, 'utf8');
  const result = await asc.compileString(
    sources,
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
  if (result.error || !result.binary) throw new Error(`AssemblyScript build of kernels.wasm failed: ${String(result.error)}\n${result.stderr.toString()}`);
  return result.binary;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const binary = await compileKernelsWasm();
  const tmp = new URL(`./kernels.wasm.${process.pid}.tmp`, import.meta.url);
  await fs.writeFile(tmp, binary);
  await fs.rename(tmp, WASM_URL); // never a half-written kernels.wasm
  process.stdout.write(`wrote ${fileURLToPath(WASM_URL)} (${binary.length} bytes)\n`);
}
