// training.presets: the bundled configs, one by name, unknown names and malformed params refused.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../main/services/engine.ts';
import { leadingComment, listPresets } from '../../../main/services/trainingPresets.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'segstation-presets-'));
const engine = new Engine({ transport: 'direct', recentFile: path.join(tmp, 'recent.json') });
afterAll(() => {
  engine.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

describe('training.presets', () => {
  it('lists the bundled configs by name, each with its config and description', async () => {
    const { presets } = await engine.call('training.presets', {});
    expect(presets.map((p) => p.name)).toEqual(expect.arrayContaining(['demo-2.5d', 'tiny-2.5d', 'tiny-3d']));
    const tiny = presets.find((p) => p.name === 'tiny-2.5d');
    expect(tiny?.config).toMatchObject({ patchSize: [32, 32], network: { kind: '2.5d', filters: 4 }, stepsPerEpoch: 4 });
    expect(tiny?.description).toMatch(/tiny 2\.5D U-Net/);
  });

  it('returns one preset by name, and a valid config for the form', async () => {
    const { presets } = await engine.call('training.presets', { name: 'tiny-3d' });
    expect(presets).toHaveLength(1);
    const checked = await engine.call('training.validateConfig', { config: presets[0].config });
    expect(checked.issues).toEqual([]);
  });

  it.each([
    [{ name: 'nope' }, 'not_found', 'name'],
    [{ name: '../etc/passwd' }, 'bad_request', 'params.name'],
    [{ name: 3 }, 'bad_request', 'params.name'],
    [{ other: 1 }, 'bad_request', 'params'],
  ])('refuses %j', async (params, code, field) => {
    const reply = await engine.dispatch({ id: 1, method: 'training.presets', params });
    expect(reply).toMatchObject({ error: { code, field } });
  });

  it('refuses a preset file that is not a mapping, naming the file', async () => {
    const dir = path.join(tmp, 'bad');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'list.yaml'), '- 1\n- 2\n');
    await expect(listPresets(undefined, dir)).rejects.toThrow(/list\.yaml.*mapping/);
  });

  it.each([
    ['# one\n# two\nseed: 1\n', 'one two'],
    ['seed: 1\n# late\n', ''],
    ['#\n# x\n', 'x'],
  ])('leading comment of %j is %j', (text, expected) => expect(leadingComment(text)).toBe(expected));
});
