// A prediction can name a trained run instead of model files: the run's checkpoint is exported to runs/<id>/model.onnx
// once (again only when the checkpoint is newer), and a request without models needs a project and a runId.
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveModel } from '../../../models/card.ts';
import { PredictRequestSchema } from '../../../main/inference/request.ts';
import { ensureRunModel, runCheckpoint, runModelPath } from '../../../main/inference/runModel.ts';
import { runPrediction } from '../../../main/inference/run.ts';
import { queryAll, readCatalogue } from '../../../main/dataset/catalogue.ts';
import { InputError } from '../../../main/util/errors.ts';
import '../../../main/io/formats.ts';
import { readVolume } from '../../../main/io/registry.ts';
import { makeTinyProject } from '../../fixtures/training/tiny-project.ts';
import { trainedModelFixture } from './trainedFixture.ts';

let project: string;

async function writeCheckpoint(runId: string, kind: 'best' | 'last', dropout = 0): Promise<string> {
  const { card, tensors } = trainedModelFixture({ name: 'tiny', filters: 2, classNames: ['background', 'ball', 'slab'], dropout, seed: 3, scale: 0.5 });
  const dir = path.join(project, 'runs', runId, 'checkpoints', kind);
  await saveModel(dir, card, tensors);
  return dir;
}

beforeAll(async () => {
  project = await makeTinyProject({ cases: 2, shape: [16, 16, 8] });
});
afterAll(async () => {
  await fs.rm(path.dirname(project), { recursive: true, force: true });
});

describe('the model of a trained run', () => {
  it('prefers the best checkpoint, else the last, else none', async () => {
    expect(runCheckpoint(project, 'none')).toBeNull();
    const last = await writeCheckpoint('only-last', 'last');
    expect(runCheckpoint(project, 'only-last')).toBe(last);
    const best = await writeCheckpoint('both', 'best');
    await writeCheckpoint('both', 'last');
    expect(runCheckpoint(project, 'both')).toBe(best);
  });

  it('is exported once, and again only when the checkpoint is newer', async () => {
    await writeCheckpoint('r1', 'best');
    const file = await ensureRunModel(project, 'r1');
    expect(file).toBe(runModelPath(project, 'r1'));
    expect(existsSync(file) && existsSync(file.replace(/\.onnx$/, '.card.json'))).toBe(true);
    const first = (await fs.stat(file)).mtimeMs;
    await ensureRunModel(project, 'r1');
    expect((await fs.stat(file)).mtimeMs).toBe(first);
    // A newer checkpoint (training went on): exported again.
    const later = new Date(first + 60_000);
    await fs.utimes(path.join(project, 'runs', 'r1', 'checkpoints', 'best', 'weights.bin'), later, later);
    await ensureRunModel(project, 'r1');
    expect((await fs.stat(file)).mtimeMs).toBeGreaterThan(first);
  });

  it.each([
    ['no-such-run', /run no-such-run: has no checkpoint/],
    ['../escape', /runId: letters, digits/],
  ])('refuses run %s with an InputError', async (runId, message) => {
    const error = await ensureRunModel(project, runId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect(String((error as Error).message)).toMatch(message);
  });
});

describe('a prediction request without model files', () => {
  it.each([
    [{ project: '/p' }, 'models'],
    [{ input: '/a.nii', output: '/b.nii', runId: 'r' }, 'models'],
  ])('is refused without a project and a runId (%j)', (request, field) => {
    const parsed = PredictRequestSchema.safeParse(request);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toContain(field);
  });

  it('predicts a project case with the run exported on the fly and records the run', async () => {
    await writeCheckpoint('r2', 'best');
    expect(existsSync(runModelPath(project, 'r2'))).toBe(false);
    const summary = await runPrediction({ project, runId: 'r2', cases: ['case1'], tta: true, uncertainty: 'tta' });
    expect(summary.runId).toBe('r2');
    expect(summary.cases.map((c) => c.caseId)).toEqual(['case1']);
    expect(summary.cases[0].uncertaintyScore).toBeGreaterThanOrEqual(0);
    expect(Object.keys(summary.cases[0].outputs).sort()).toEqual(['entropy', 'label', 'mutualInformation', 'probabilities', 'variance']);
    const rows = await readCatalogue(project, (db) => queryAll(db, 'SELECT model_path, case_id FROM predictions'));
    expect(rows).toEqual([{ model_path: runModelPath(project, 'r2'), case_id: 'case1' }]);
  });

  it('exports a model with active dropout for MC-dropout, whose passes differ', async () => {
    await writeCheckpoint('r-mc', 'best', 0.3);
    const summary = await runPrediction({ project, runId: 'r-mc', cases: ['case1'], uncertainty: 'mc', mcPasses: 4 });
    expect(existsSync(runModelPath(project, 'r-mc', { mcDropout: true }))).toBe(true);
    expect(existsSync(runModelPath(project, 'r-mc'))).toBe(false);
    // Equal passes would give zero mutual information everywhere.
    const information = summary.cases[0].outputs.mutualInformation;
    if (!information) throw new Error('no mutual information output');
    const { data } = await readVolume(information);
    expect(Math.max(...Array.from(data))).toBeGreaterThan(1e-4);
  });

  it('refuses MC-dropout for a run whose network has no dropout, naming the model card', async () => {
    await writeCheckpoint('r-nodrop', 'best');
    const error = await runPrediction({ project, runId: 'r-nodrop', cases: ['case1'], uncertainty: 'mc', mcPasses: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect(String((error as Error).message)).toMatch(/model\.mc\.card\.json: MC-dropout needs a model exported with active dropout/);
  });
});
