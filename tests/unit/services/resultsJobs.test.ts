// Results through the engine on a real project: the 'predict' job with an ONNX model built here, prediction.list, the
// 'evaluate' job and evaluation.get (checked against Dice computed here from the stored volumes), and report.export.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../../main/io/formats.ts';
import { readVolume } from '../../../main/io/registry.ts';
import { OnnxGraphBuilder } from '../../../main/inference/onnx/graph.ts';
import { createRaster, encodePng } from '../../../main/report/png.ts';
import { Engine } from '../../../main/services/engine.ts';
import { makeTinyProject } from '../../fixtures/training/tiny-project.ts';
import { cardFor, writeModel } from '../inference/helpers.ts';
import { EventLog } from './helpers/events.ts';

/**
 * Three classes from intensity alone (tiny-project means: background 100, ball 200, slab 40): logits
 * (0, 0.1 (I - 150), -0.1 (I - 70)), a 1x1x1 convolution.
 */
function thresholdGraph(): OnnxGraphBuilder {
  const g = new OnnxGraphBuilder('threshold');
  const x = g.input('image', ['N', 1, 'D', 'H', 'W']);
  const y = g.conv(x, { data: Float32Array.from([0, 0.1, -0.1]), dims: [3, 1, 1, 1, 1] }, Float32Array.from([0, -15, 7]));
  g.output(y, 'logits', ['N', 3, 'D', 'H', 'W']);
  return g;
}

function dice(pred: ArrayLike<number>, truth: ArrayLike<number>, k: number): number {
  let both = 0;
  let p = 0;
  let t = 0;
  for (let i = 0; i < pred.length; i++) {
    if (pred[i] === k) p++;
    if (truth[i] === k) t++;
    if (pred[i] === k && truth[i] === k) both++;
  }
  return (2 * both) / (p + t);
}

let project: string;
let model: string;
let engine: Engine;
let log: EventLog;
const runId = 'onnx-threshold';

beforeAll(async () => {
  project = await makeTinyProject({ cases: 2, shape: [24, 24, 4], noise: 10 });
  const models = path.join(path.dirname(project), 'models');
  const { promises: fs } = await import('node:fs');
  await fs.mkdir(models);
  model = await writeModel(models, 'threshold', thresholdGraph(), cardFor(3, { inputChannels: 1, output: 'logits', patchSize: [8, 8, 4] }));
  engine = new Engine({ transport: 'direct', recentFile: path.join(path.dirname(project), 'recent.json') });
  log = new EventLog(engine);
});

afterAll(() => {
  log?.close();
  engine?.dispose();
  if (project) rmSync(path.dirname(project), { recursive: true, force: true });
});

describe('predict, evaluate and report jobs', () => {
  it('predicts every case of the project and lists the predictions with their output stores', async () => {
    const job = await engine.call('job.start', { kind: 'predict', params: { models: [model], project, runId, overlap: 0 } });
    const end = await log.finished(job.jobId);
    expect(end.status, end.error).toBe('completed');
    expect(log.of('job.progress', job.jobId).length).toBeGreaterThan(0);

    const { predictions } = await engine.call('prediction.list', { projectDir: project, runId });
    expect(predictions.map((p) => p.caseId)).toEqual(['case0', 'case1']);
    for (const p of predictions) {
      expect(p).toMatchObject({ id: `${runId}/${p.caseId}`, runId, modelPath: model, folder: path.join(project, 'runs', runId, 'predictions', p.caseId) });
      expect(p.outputs.label).toBe(path.join(p.folder, 'label.ome.zarr'));
      expect(existsSync(p.outputs.label!)).toBe(true);
      expect(p.options).toMatchObject({ overlap: 0 });
    }
    expect((await engine.call('prediction.list', { projectDir: project, runId: 'other' })).predictions).toEqual([]);
    // A prediction store opens in the viewer like any volume.
    const meta = await engine.call('volume.open', { path: predictions[0].outputs.label!, role: 'label' });
    expect(meta.shape).toEqual([24, 24, 4]);
  }, 60_000);

  it('evaluates the run; evaluation.get has the Dice computed from the stored volumes and a cohort summary', async () => {
    const job = await engine.call('job.start', { kind: 'evaluate', params: { projectDir: project, runId } });
    const end = await log.finished(job.jobId);
    expect(end.status, end.error).toBe('completed');
    expect(end.result).toMatchObject({ runId, cases: 2, skipped: [] });

    const list = (await engine.call('evaluation.list', { projectDir: project, runId })).evaluations;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ runId, cases: 2, id: (end.result as { evaluationId: string }).evaluationId });
    const evaluation = await engine.call('evaluation.get', { projectDir: project, runId });
    expect(evaluation.id).toBe(list[0].id);
    const diceRows = evaluation.rows.filter((r) => r.metric === 'dice');
    const { cases } = await engine.call('case.list', { projectDir: project });
    for (const c of cases) {
      const truth = await readVolume(path.join(project, 'volumes', `${c.id}_label.ome.zarr`));
      const pred = await readVolume(path.join(project, 'runs', runId, 'predictions', c.id, 'label.ome.zarr'));
      for (const k of [1, 2]) {
        const row = diceRows.find((r) => r.caseId === c.id && r.class === k);
        expect(row?.value, `${c.id} class ${k}`).toBeCloseTo(dice(pred.data, truth.data, k), 10);
      }
    }
    const summary = evaluation.summary.find((s) => s.class === 1 && s.metric === 'dice');
    const values = diceRows.filter((r) => r.class === 1).map((r) => r.value as number);
    expect(summary).toMatchObject({ className: 'class 1', n: 2, nan: 0, infinite: 0 });
    expect(summary?.mean).toBeCloseTo((values[0] + values[1]) / 2, 12);
    // Foreground classes, and the case-level calibration rows (probabilities were written) under -1.
    expect(evaluation.classes).toEqual([
      { value: -1, name: 'all' },
      { value: 1, name: 'class 1' },
      { value: 2, name: 'class 2' },
    ]);
    expect(evaluation.rows.filter((r) => r.class === -1).map((r) => r.metric).sort()).toEqual(['brier', 'brier', 'ece', 'ece']);
    const missing = await engine.dispatch({ id: 1, method: 'evaluation.get', params: { projectDir: project, runId: 'never-run' } });
    expect(missing).toMatchObject({ error: { code: 'not_found' } });
  }, 60_000);

  it('exports an HTML report of the run as a job', async () => {
    const out = path.join(path.dirname(project), 'reports', 'run.html');
    const job = await engine.call('report.export', { projectDir: project, runId, out });
    expect(job.kind).toBe('report');
    const end = await log.finished(job.jobId);
    expect(end.status, end.error).toBe('completed');
    expect(end.result).toEqual({ file: out, format: 'html' });
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain(runId);
    const notPng = await engine.dispatch({ id: 3, method: 'report.export', params: { projectDir: project, runId, out, snapshotPng: Buffer.from('GIF89a').toString('base64') } });
    expect(notPng).toMatchObject({ error: { code: 'input_error', field: 'params.snapshotPng' } });
    const bad = await engine.dispatch({ id: 2, method: 'report.export', params: { projectDir: project, runId, out: path.join(path.dirname(project), 'r.docx') } });
    expect(bad).toMatchObject({ error: { code: 'bad_request', field: 'params.out' } });
  }, 60_000);

  it('puts a snapshot sent inline (web mode) into the report and removes its temporary file afterwards', async () => {
    const image = createRaster(8, 6);
    for (let i = 0; i < image.pixels.length; i += 3) image.pixels[i] = 255; // red
    const png = Buffer.from(encodePng(image)).toString('base64');
    const out = path.join(path.dirname(project), 'reports', 'snapshot.html');
    const snapshotsBefore = readdirSync(os.tmpdir()).filter((f) => f.startsWith('segstation-snapshot-'));
    const job = await engine.call('report.export', { projectDir: project, runId, out, snapshotPng: png });
    expect((await log.finished(job.jobId)).status).toBe('completed');
    expect(readFileSync(out, 'utf8')).toContain(`<img alt="viewer snapshot" src="data:image/png;base64,${png}">`);
    await new Promise((r) => setTimeout(r, 200));
    expect(readdirSync(os.tmpdir()).filter((f) => f.startsWith('segstation-snapshot-'))).toEqual(snapshotsBefore);
  }, 60_000);
});
