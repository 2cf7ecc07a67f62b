/** Bundles the preload into one CommonJS file (a sandboxed preload can require only 'electron'). */
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const PRELOAD_OUT = path.join(ROOT, 'out', 'electron', 'preload.cjs');

export async function buildPreload(): Promise<string> {
  await build({
    entryPoints: [path.join(ROOT, 'electron', 'preload.ts')],
    outfile: PRELOAD_OUT,
    bundle: true,
    format: 'cjs',
    platform: 'browser',
    target: 'chrome130',
    external: ['electron'],
    logLevel: 'warning',
  });
  return PRELOAD_OUT;
}
