// Picks the tfjs compute backend at run time and says which one is active and why.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { InputError } from '../../util/errors.ts';
import { registerConv3dTransposeGradient, registerCpuKernelFixes } from './cpu-kernel-fixes.ts';
import { ensureGradients } from './gradients.ts';

export type BackendName = 'tensorflow' | 'webgpu' | 'cpu';
export type BackendPreference = BackendName | 'auto';

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  why: string;
}

export interface BackendReport {
  /** The active tfjs backend. */
  name: BackendName;
  /** One sentence: why this backend is the active one. */
  reason: string;
  /** Every backend tried, in order, with the outcome. */
  tried: BackendAttempt[];
  /** Fixes registered for the active backend: the conv3dTranspose gradient always, the filter-gradient route on cpu. */
  kernelFixes: string[];
}

/** Loads a module by name; injectable so tests can simulate installed or missing optional packages. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

export interface SelectBackendOptions {
  /** Throw instead of falling back when the preferred backend is unavailable. */
  strict?: boolean;
  importModule?: ModuleImporter;
}

const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

const require = createRequire(import.meta.url);

// Resolving first tells "not installed" apart from "installed but fails to load" under any loader (Node, tsx, vite);
// the variable specifier keeps TypeScript and bundlers from resolving optional packages at build time.
const defaultImporter: ModuleImporter = async (specifier) => {
  try {
    require.resolve(specifier);
  } catch {
    throw Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND' });
  }
  return import(specifier);
};

/** Validates a user-given backend name (CLI flag, config field); refuses tfjs wasm for 3D work. */
export function parseBackendPreference(value: string, subject = 'backend'): BackendPreference {
  if (value === 'wasm') {
    throw new InputError(subject, 'tfjs wasm is refused for 3D work (its 3D convolution gradients are wrong); use cpu, webgpu or tensorflow');
  }
  if (value === 'auto' || value === 'cpu' || value === 'webgpu' || value === 'tensorflow') return value;
  throw new InputError(subject, `unknown backend '${value}' (expected auto, cpu, webgpu or tensorflow)`);
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0];
}

function isModuleMissing(error: unknown, specifier: string): boolean {
  const code = (error as { code?: string } | null)?.code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && describe(error).includes(specifier);
}

async function tryTensorflow(importModule: ModuleImporter): Promise<BackendAttempt> {
  const reasons: string[] = [];
  for (const specifier of TENSORFLOW_PACKAGES) {
    try {
      await importModule(specifier);
    } catch (error) {
      reasons.push(isModuleMissing(error, specifier) ? `${specifier} is not installed` : `${specifier} failed to load: ${describe(error)}`);
      continue;
    }
    if (await tf.setBackend('tensorflow')) return { name: 'tensorflow', ok: true, why: `${specifier} loaded (libtensorflow)` };
    reasons.push(`${specifier} loaded but the 'tensorflow' backend did not initialise`);
  }
  return { name: 'tensorflow', ok: false, why: `${reasons.join('; ')} (optional packages)` };
}

interface GpuLike {
  requestAdapter(): Promise<unknown>;
}

async function tryWebgpu(importModule: ModuleImporter): Promise<BackendAttempt> {
  let gpu: GpuLike;
  try {
    const dawn = (await importModule('webgpu')) as { create: (flags: string[]) => GpuLike; globals: object };
    // tfjs-backend-webgpu looks for the browser globals (GPUBufferUsage, navigator.gpu, ...).
    Object.assign(globalThis, dawn.globals);
    gpu = dawn.create([]);
  } catch (error) {
    return { name: 'webgpu', ok: false, why: `the webgpu (Dawn) package failed to load: ${describe(error)}` };
  }
  let adapter: unknown;
  try {
    adapter = await gpu.requestAdapter();
  } catch (error) {
    return { name: 'webgpu', ok: false, why: `requestAdapter() failed: ${describe(error)}` };
  }
  if (!adapter) {
    return { name: 'webgpu', ok: false, why: 'Dawn found no GPU adapter (no Vulkan, Metal or D3D12 device on this machine)' };
  }
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  try {
    await importModule('@tensorflow/tfjs-backend-webgpu');
    if (await tf.setBackend('webgpu')) return { name: 'webgpu', ok: true, why: 'Dawn found a GPU adapter' };
    return { name: 'webgpu', ok: false, why: "a GPU adapter exists but tfjs' webgpu backend did not initialise" };
  } catch (error) {
    return { name: 'webgpu', ok: false, why: `tfjs-backend-webgpu failed: ${describe(error)}` };
  }
}

/**
 * Activates the best available backend: tensorflow (tfjs-node-gpu / tfjs-node, optional), then webgpu (Dawn, when a
 * GPU adapter exists), then cpu (always works; its kernel fixes are registered). Never wasm. With a preference other
 * than 'auto', only that backend is tried before cpu; with `strict` an unavailable preference throws InputError.
 */
export async function selectBackend(preference: BackendPreference = 'auto', options: SelectBackendOptions = {}): Promise<BackendReport> {
  const importModule = options.importModule ?? defaultImporter;
  await ensureGradients();
  const order: BackendName[] = preference === 'auto' ? ['tensorflow', 'webgpu'] : preference === 'cpu' ? [] : [preference];
  const tried: BackendAttempt[] = [];
  for (const name of order) {
    const attempt = name === 'tensorflow' ? await tryTensorflow(importModule) : await tryWebgpu(importModule);
    tried.push(attempt);
    if (attempt.ok) {
      await tf.ready();
      const reason = preference === 'auto' ? `${name}: ${attempt.why}` : `${name} was requested and ${attempt.why}`;
      return { name, reason, tried, kernelFixes: [registerConv3dTransposeGradient()] };
    }
  }
  if (preference !== 'auto' && preference !== 'cpu' && options.strict) {
    throw new InputError('backend', `${preference} is not available: ${tried[tried.length - 1].why}`);
  }
  await tf.setBackend('cpu');
  await tf.ready();
  const kernelFixes = registerCpuKernelFixes();
  tried.push({ name: 'cpu', ok: true, why: 'pure JavaScript, always available' });
  const reason =
    preference === 'cpu'
      ? 'cpu was requested'
      : preference === 'auto'
        ? `no accelerated backend is available (${tried
            .filter((t) => !t.ok)
            .map((t) => `${t.name}: ${t.why}`)
            .join('; ')}), so cpu is used`
        : `${preference} was requested but is not available (${tried[0].why}), so cpu is used`;
  return { name: 'cpu', reason, tried, kernelFixes };
}
