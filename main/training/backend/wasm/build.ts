// Builds kernels.wasm and kernels-relaxed.wasm from conv.as, norm.as and pool.as with AssemblyScript (a devDependency: users
// get the committed binaries, and a unit test rebuilds them and compares bytes so sources and binaries cannot drift).
// The relaxed build has relaxed SIMD (fused multiply-add) for runtimes that have it (V8 11.4+: Node 22, Electron).
// Run: `npm run build:wasm`. The sources are named .as, not .ts, so the project's TypeScript and eslint do not read them.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SOURCE_URLS = [new URL('./conv.as', import.meta.url), new URL('./norm.as', import.meta.url), new URL('./pool.as', import.meta.url)];
export const WASM_URL = new URL('./kernels.wasm', import.meta.url);
export const RELAXED_WASM_URL = new URL('./kernels-relaxed.wasm', import.meta.url);

/** Memory the module imports: shared (so worker threads can run on the same buffers), at most 2 GiB. */
export const MAX_PAGES = 32768;

export async function compileKernelsWasm(relaxed = false): Promise<Uint8Array> {
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
      enable: ['simd', 'threads', 'bulk-memory', ...(relaxed ? ['relaxed-simd'] : [])],
    },
  );
  if (result.error || !result.binary) throw new Error(`AssemblyScript build of kernels.wasm failed: ${String(result.error)}\n${result.stderr.toString()}`);
  return result.binary;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [url, relaxed] of [
    [WASM_URL, false],
    [RELAXED_WASM_URL, true],
  ] as const) {
    const binary = await compileKernelsWasm(relaxed);
    const tmp = new URL(`${url.href}.${process.pid}.tmp`);
    await fs.writeFile(tmp, binary);
    await fs.rename(tmp, url); // never a half-written module
    process.stdout.write(`wrote ${fileURLToPath(url)} (${binary.length} bytes)\n`);
  }
}
