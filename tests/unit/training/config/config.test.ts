import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configHash, loadTrainingConfig, parseTrainingConfig } from '../../../../main/training/config/index.ts';
import { InputError } from '../../../../main/util/errors.ts';

const base = { patchSize: [32, 32] };

function problem(value: Record<string, unknown>): string {
  try {
    parseTrainingConfig(value, 'train.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

describe('training config', () => {
  it('fills defaults from a minimal config', () => {
    const c = parseTrainingConfig(base);
    expect(c.network.kind).toBe('2.5d');
    expect(c.batchSize).toBe('auto');
    expect(c.optimizer).toMatchObject({ type: 'adam', lr: 1e-3 });
    expect(c.sampler.foregroundFraction).toBeCloseTo(1 / 3);
  });

  it.each([
    ['an unknown top-level key', { ...base, epochz: 3 }, 'train.yaml: epochz: unknown key'],
    ['an unknown nested key', { ...base, network: { filterz: 3 } }, 'train.yaml: network.filterz: unknown key'],
    ['a wrong type', { ...base, epochs: 'ten' }, 'train.yaml: epochs: must be number, got the string "ten"'],
    ['a value out of range', { ...base, sampler: { foregroundFraction: 1.5 } }, 'train.yaml: sampler.foregroundFraction: must be <=1, got number 1.5'],
    ['a missing required field', {}, 'train.yaml: patchSize: is required (array)'],
    ['a wrong optimiser field', { ...base, optimizer: { type: 'adam', lr: -1 } }, 'train.yaml: optimizer.lr: must be >0, got number -1'],
    ['an unknown loss term', { ...base, loss: { type: 'hinge' } }, 'train.yaml: loss'],
    ['a patch size the network cannot halve', { ...base, network: { levels: 4 }, patchSize: [36, 32] }, 'train.yaml: patchSize.0: must be a multiple of 8'],
    ['a 2D patch for a 3D network', { ...base, network: { kind: '3d' } }, 'train.yaml: patchSize: a 3d network takes 3 sizes, got 2'],
    ['a bad augmentation key', { ...base, augmentation: { flipp: {} } }, 'train.yaml: augmentation.flipp: unknown key'],
  ])('names the field and the problem for %s', (_what, value, expected) => {
    expect(problem(value)).toContain(expected);
  });

  it('refuses something that is not a mapping', () => {
    expect(() => parseTrainingConfig([1, 2], 'c.json')).toThrow(/c.json: must be a mapping/);
  });

  it('reads YAML and JSON files and names the file in errors', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'segstation-config-'));
    await writeFile(path.join(dir, 'a.yaml'), 'patchSize: [64, 64]\nepochs: 3\n');
    await writeFile(path.join(dir, 'b.json'), '{"patchSize": [64, 64], "epochs": 3}');
    await writeFile(path.join(dir, 'bad.yaml'), 'patchSize: [64, 64\n');
    await writeFile(path.join(dir, 'wrong.yaml'), 'patchSize: [64, 64]\nseed: -4\n');
    const a = await loadTrainingConfig(path.join(dir, 'a.yaml'));
    const b = await loadTrainingConfig(path.join(dir, 'b.json'));
    expect(configHash(a)).toBe(configHash(b));
    expect(configHash(a)).not.toBe(configHash({ ...a, seed: 1 }));
    await expect(loadTrainingConfig(path.join(dir, 'bad.yaml'))).rejects.toThrow(/bad.yaml: not valid YAML/);
    await expect(loadTrainingConfig(path.join(dir, 'wrong.yaml'))).rejects.toThrow(/wrong.yaml: seed: must be >=0/);
    await expect(loadTrainingConfig(path.join(dir, 'missing.yaml'))).rejects.toThrow(/cannot read/);
  });

  it.each(['demo-2.5d', 'tiny-3d', 'tiny-2.5d'])('the bundled config %s is valid', async (name) => {
    const c = await loadTrainingConfig(new URL(`../../../../resources/configs/${name}.yaml`, import.meta.url).pathname);
    expect(c.epochs).toBeGreaterThan(0);
  });
});
