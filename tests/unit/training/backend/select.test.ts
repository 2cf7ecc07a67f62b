import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FAST_CONV_KERNELS,
  FAST_ELEMENTWISE_KERNELS,
  FAST_POOL_KERNELS,
  FAST_LEAKY_RELU_GRADIENT,
  CONV2D_FILTER_VIA_3D,
  CONV3D_TRANSPOSE_GRADIENT,
  gradientsRegistered,
  parseBackendPreference,
  selectBackend,
  type ModuleImporter,
} from '../../../../main/training/backend/index.ts';
import { InputError } from '../../../../main/util/errors.ts';

function notFound(specifier: string): Error {
  return Object.assign(new Error(`Cannot find package '${specifier}' imported from /x.js`), { code: 'ERR_MODULE_NOT_FOUND' });
}

/** An importer where the named modules resolve to fakes and everything else is "not installed". */
function fakeImporter(modules: Record<string, () => unknown>): ModuleImporter {
  return async (specifier) => {
    const make = modules[specifier];
    if (make === undefined) throw notFound(specifier);
    return make();
  };
}

const dawnWithoutAdapter = () => ({ globals: {}, create: () => ({ requestAdapter: async () => null }) });

function installed(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
}

afterEach(async () => {
  await tf.setBackend('cpu');
});

describe('selectBackend', () => {
  it('auto without tfjs-node and without a GPU adapter falls back to cpu and says why', async () => {
    const report = await selectBackend('auto', { importModule: fakeImporter({ webgpu: dawnWithoutAdapter }) });
    expect(report.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(report.tried.map((t) => [t.name, t.ok])).toEqual([
      ['tensorflow', false],
      ['webgpu', false],
      ['cpu', true],
    ]);
    expect(report.tried[0].why).toMatch(/@tensorflow\/tfjs-node-gpu is not installed; @tensorflow\/tfjs-node is not installed/);
    expect(report.tried[1].why).toMatch(/no GPU adapter/);
    expect(report.reason).toMatch(/no accelerated backend/);
    expect(report.reason).toContain(report.tried[1].why);
    expect(report.kernelFixes).toEqual([CONV3D_TRANSPOSE_GRADIENT, CONV2D_FILTER_VIA_3D, FAST_CONV_KERNELS, FAST_ELEMENTWISE_KERNELS, FAST_POOL_KERNELS, FAST_LEAKY_RELU_GRADIENT]);
    expect(gradientsRegistered()).toBe(true);
  });

  it.skipIf(installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu'))(
    'with the real importer, a missing tfjs-node is reported as not installed (optional peer dependency)',
    async () => {
      const report = await selectBackend('tensorflow');
      expect(report.name).toBe('cpu');
      expect(report.tried[0]).toEqual({
        name: 'tensorflow',
        ok: false,
        why: '@tensorflow/tfjs-node-gpu is not installed; @tensorflow/tfjs-node is not installed (optional packages)',
      });
      expect(report.reason).toMatch(/^tensorflow was requested but is not available .*, so cpu is used$/);
      await expect(selectBackend('tensorflow', { strict: true })).rejects.toThrow(InputError);
    },
  );

  it('a tfjs-node that is installed but broken is reported with its error', async () => {
    const report = await selectBackend('tensorflow', {
      importModule: fakeImporter({
        '@tensorflow/tfjs-node': () => {
          throw new Error('libtensorflow.so.2: cannot open shared object file');
        },
      }),
    });
    expect(report.name).toBe('cpu');
    expect(report.tried[0].why).toMatch(/tfjs-node-gpu is not installed; @tensorflow\/tfjs-node failed to load: libtensorflow/);
  });

  it('webgpu: an adapter without a working tfjs webgpu backend falls back to cpu; a Dawn load error too', async () => {
    const withAdapter = fakeImporter({ webgpu: () => ({ globals: {}, create: () => ({ requestAdapter: async () => ({}) }) }) });
    const report = await selectBackend('webgpu', { importModule: withAdapter });
    expect(report.name).toBe('cpu');
    expect(report.tried[0].why).toMatch(/tfjs-backend-webgpu failed/);
    const broken = fakeImporter({
      webgpu: () => {
        throw new Error('dawn.node: GLIBC_2.38 not found');
      },
    });
    expect((await selectBackend('webgpu', { importModule: broken })).tried[0].why).toMatch(/webgpu \(Dawn\) package failed to load: dawn.node/);
    await expect(selectBackend('webgpu', { importModule: broken, strict: true })).rejects.toThrow(/webgpu is not available/);
  });

  it('the real webgpu package: either a working adapter or a clear fallback to cpu', async () => {
    const report = await selectBackend('webgpu');
    if (report.name === 'webgpu') {
      expect(report.tried).toEqual([{ name: 'webgpu', ok: true, why: 'Dawn found a GPU adapter' }]);
    } else {
      expect(report.name).toBe('cpu');
      expect(report.tried[0].ok).toBe(false);
      expect(report.reason).toContain(report.tried[0].why);
    }
    expect(tf.getBackend()).toBe(report.name);
  });

  it('cpu on request', async () => {
    const report = await selectBackend('cpu');
    expect(report).toMatchObject({ name: 'cpu', reason: 'cpu was requested' });
    expect(report.tried).toHaveLength(1);
  });
});

describe('parseBackendPreference', () => {
  it.each(['auto', 'cpu', 'webgpu', 'tensorflow'])('accepts %s', (name) => {
    expect(parseBackendPreference(name)).toBe(name);
  });

  it('refuses wasm for 3D with the reason, and unknown names', () => {
    expect(() => parseBackendPreference('wasm', '--backend')).toThrow(/--backend: tfjs wasm is refused .*3D convolution gradients are wrong/);
    expect(() => parseBackendPreference('webgl')).toThrow(InputError);
  });
});
