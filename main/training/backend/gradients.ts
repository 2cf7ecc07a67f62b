// tfjs-core's Node entry (dist/tf-core.node.js) ships no gradient functions and no chained ops: the umbrella
// @tensorflow/tfjs registers them from tfjs-core's ESM files, which Node cannot load directly (extensionless imports
// in a package that is not "type": "module"). We bundle those two registration modules once with esbuild (already
// installed as tsx's dependency) into a self-contained ESM file, cache it beside node_modules, and import it. The
// bundle carries its own copy of the op functions; tfjs keeps its engine, kernel and gradient registries and the
// Tensor class on the global object, so both copies share one engine.
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';

const require = createRequire(import.meta.url);

let pending: Promise<void> | null = null;

/** True when autodiff works (the gradient registry holds tfjs's gradient functions). */
export function gradientsRegistered(): boolean {
  return tf.getGradient('Conv2D') !== undefined && tf.getGradient('Softmax') !== undefined;
}

/** Registers all of tfjs-core's gradients and chained tensor methods (x.square() etc.). Idempotent and cheap after the first call. */
export function ensureGradients(): Promise<void> {
  if (gradientsRegistered()) return Promise.resolve();
  pending ??= loadGradientBundle().catch((error: unknown) => {
    pending = null;
    throw error;
  });
  return pending;
}

async function loadGradientBundle(): Promise<void> {
  const coreDir = path.dirname(require.resolve('@tensorflow/tfjs-core/package.json'));
  const version = (require('@tensorflow/tfjs-core/package.json') as { version: string }).version;
  const name = `tfjs-core-${version}-gradients.mjs`;
  const candidates = [path.join(coreDir, '..', '..', '.cache', 'segstation'), path.join(os.tmpdir(), 'segstation-cache')];
  let file: string | null = null;
  for (const dir of candidates) {
    const target = path.join(dir, name);
    try {
      await fs.access(target);
      file = target;
      break;
    } catch {
      // not cached here yet
    }
  }
  if (file === null) {
    file = await buildBundle(coreDir, candidates, name);
    await import(pathToFileURL(file).href);
  } else {
    try {
      await import(pathToFileURL(file).href);
    } catch {
      // A cache left by another esbuild or a damaged disk: build it again under a fresh URL.
      file = await buildBundle(coreDir, candidates, name);
      await import(`${pathToFileURL(file).href}?rebuilt=${Date.now()}`);
    }
  }
  if (!gradientsRegistered()) throw new Error(`tfjs gradient bundle ${file} loaded but registered no gradients`);
}

async function buildBundle(coreDir: string, dirs: string[], name: string): Promise<string> {
  const esbuild = await import('esbuild');
  const dist = path.join(coreDir, 'dist');
  const result = await esbuild.build({
    stdin: {
      contents: `import './register_all_gradients.js';\nimport './public/chained_ops/register_all_chained_ops.js';\n`,
      resolveDir: dist,
      loader: 'js',
    },
    bundle: true,
    format: 'esm',
    platform: 'node',
    write: false,
    minify: true,
    logLevel: 'silent',
  });
  const text = result.outputFiles[0].text;
  let lastError: unknown = null;
  for (const dir of dirs) {
    try {
      await fs.mkdir(dir, { recursive: true });
      // Temp + rename: parallel test workers may build at the same time; each rename is atomic.
      const tmp = path.join(dir, `${name}.${process.pid}.${Date.now()}.tmp`);
      await fs.writeFile(tmp, text);
      const target = path.join(dir, name);
      await fs.rename(tmp, target);
      return target;
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`cannot write the tfjs gradient bundle (${String(lastError)})`);
}
