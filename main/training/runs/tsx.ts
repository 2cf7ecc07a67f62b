/** Starting TypeScript entry points of this project in a worker thread or a child process, through tsx. */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const require = createRequire(import.meta.url);

/** Node flags for a child process: tsx's loader. */
export function tsxExecArgv(): string[] {
  return ['--import', pathToFileURL(require.resolve('tsx')).href];
}

/**
 * A worker thread running a .ts module. Node 20 does not apply `--import` loaders to workers reliably, so the worker
 * starts from a small script that registers tsx's ESM hooks itself and then imports the module.
 */
export function tsWorker(module: URL, options: WorkerOptions = {}): Worker {
  // The ESM build of tsx's API (require.resolve gives the CJS one).
  const api = pathToFileURL(require.resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(module.href)}); });`;
  return new Worker(code, { ...options, eval: true });
}
