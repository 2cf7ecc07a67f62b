import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../main/io/formats.ts';
import { readCatalogue, queryAll } from '../../main/dataset/catalogue.ts';
import { readVolume, writeVolume } from '../../main/io/registry.ts';
import { createVolume, type Vec3 } from '../../main/volume/volume.ts';
import { mulberry32 } from '../../main/util/random.ts';
import { runCli } from '../helpers/cli.ts';
import { cardFor, convGraph, softmaxGraph, softmaxInterleaved, tempDir, writeModel } from '../unit/inference/helpers.ts';

let dir: string;
let softmax: string;
let conv: string;
const shape: Vec3 = [20, 18, 14];
let scores: Float32Array;

beforeAll(async () => {
  dir = await tempDir('segstation-predict-cli-');
  softmax = await writeModel(dir, 'softmax', softmaxGraph(2), cardFor(2, { patchSize: [12, 12, 8] }));
  conv = await writeModel(dir, 'conv', convGraph(1, 2), cardFor(2, { inputChannels: 1, output: 'logits', patchSize: [12, 12, 8], normalization: { kind: 'zscore' } }));
  const rng = mulberry32(11);
  scores = Float32Array.from({ length: shape[0] * shape[1] * shape[2] * 2 }, () => (rng() - 0.5) * 6);
  await writeVolume(createVolume({ shape, data: scores, components: 2, spacing: [0.5, 0.5, 1] }), path.join(dir, 'scores.nii.gz'));
  const ct = Uint8Array.from({ length: shape[0] * shape[1] * shape[2] }, () => Math.floor(rng() * 255));
  await writeVolume(createVolume({ shape, data: ct }), path.join(dir, 'ct.ome.zarr'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('segstation predict', () => {
  it('predicts a file into a label file (argmax of the softmax)', async () => {
    const out = path.join(dir, 'label.nii.gz');
    const r = await runCli(['predict', '--model', softmax, '--input', path.join(dir, 'scores.nii.gz'), '--output', out, '--blend', 'constant', '--overlap', '0.25']);
    expect(r.stderr).toMatch(/execution provider: cpu/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/scores: \d+ windows in .* \(in-memory, peak RSS \d+ MB\)/);
    const label = await readVolume(out);
    const p = softmaxInterleaved(scores, 2);
    let wrong = 0;
    for (let v = 0; v < label.data.length; v++) if (label.data[v] !== (p[2 * v + 1] > p[2 * v] ? 1 : 0)) wrong++;
    expect(wrong).toBe(0);
    expect(label.spacing).toEqual([0.5, 0.5, 1]);
  });

  it('streams an OME-Zarr input into a folder of outputs with uncertainty and post-processing', async () => {
    const out = path.join(dir, 'outputs');
    const pp = path.join(dir, 'pp.json');
    await fs.writeFile(pp, JSON.stringify({ steps: [{ op: 'minSize', voxels: 3 }] }));
    const r = await runCli([
      'predict', '--model', conv, '--input', path.join(dir, 'ct.ome.zarr'), '--output', out,
      '--uncertainty', 'tta', '--postprocess', pp, '--memory-budget', '64', '--json',
    ]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { cases: { mode: string; uncertaintyScore: number; postprocess: { step: string }[] }[] };
    expect(summary.cases[0].mode).toBe('out-of-core');
    expect(summary.cases[0].uncertaintyScore).toBeGreaterThan(0);
    expect(summary.cases[0].postprocess[0].step).toBe('minSize');
    const probs = await readVolume(path.join(out, 'probabilities.ome.zarr'));
    expect(probs.components).toBe(2);
    expect(probs.shape).toEqual(shape);
  });

  it('predicts every case of a project into runs/<id>/predictions with catalogue rows', async () => {
    const project = path.join(dir, 'project');
    expect((await runCli(['project', 'init', project])).code).toBe(0);
    const imported = await runCli(['import', project, '--image', path.join(dir, 'ct.ome.zarr'), '--case', 'a']);
    expect(imported.stderr).toBe('');
    const r = await runCli(['predict', '--model', conv, '--project', project, '--run-id', 'r1', '--uncertainty', 'tta']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/run r1: 1 case\(s\) predicted with cpu/);
    const names = (await fs.readdir(path.join(project, 'runs', 'r1', 'predictions', 'a'))).sort();
    expect(names).toEqual(['entropy.ome.zarr', 'label.ome.zarr', 'mutual_information.ome.zarr', 'probabilities.ome.zarr', 'variance.ome.zarr']);
    const label = await readVolume(path.join(project, 'runs', 'r1', 'predictions', 'a', 'label.ome.zarr'));
    expect(label.shape).toEqual(shape);
    const rows = await readCatalogue(project, (db) => queryAll(db, 'SELECT id, case_id, folder, run_id, uncertainty_score FROM predictions'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: 'r1/a', case_id: 'a', folder: 'runs/r1/predictions/a', run_id: null });
    expect(rows[0].uncertainty_score).toBeGreaterThan(0);
  });

  it.each([
    [['--provider', 'tpu'], /unknown execution provider 'tpu'/],
    [['--uncertainty', 'bayes'], /--uncertainty must be mc:N, ensemble or tta/],
  ])('refuses %j with exit code 2', async (extra, pattern) => {
    const r = await runCli(['predict', '--model', softmax, '--input', path.join(dir, 'scores.nii.gz'), '--output', path.join(dir, 'x.nii.gz'), ...extra]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
  });

  it('refuses a corrupt model, naming the file', async () => {
    const bad = path.join(dir, 'bad.onnx');
    await fs.writeFile(bad, Buffer.from('this is not a protobuf at all'));
    await fs.copyFile(path.join(dir, 'softmax.card.json'), path.join(dir, 'bad.card.json'));
    const r1 = await runCli(['predict', '--model', bad, '--input', path.join(dir, 'scores.nii.gz'), '--output', path.join(dir, 'y.nii.gz')]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain(`${bad}: not a valid ONNX model`);
  });
});
