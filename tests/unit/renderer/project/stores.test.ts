// The project workspace's stores against a scripted engine: validation messages name each bad file, form problems
// stop before the engine is asked, the import and statistics jobs are followed to their end, and what they say shows.
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { EngineApi, EngineEvent } from '../../../../ipc/api.ts';
import type { FileCheck, JobInfo, MethodName, ProjectSummary } from '../../../../ipc/contract.ts';
import { setEngine } from '../../../../renderer/src/data/engine.ts';
import { useJobsStore } from '../../../../renderer/src/stores/jobs.ts';
import { useProjectStore } from '../../../../renderer/src/stores/project.ts';
import { useProjectImportStore, validationMessage } from '../../../../renderer/src/stores/projectImport.ts';
import { useProjectSettingsStore } from '../../../../renderer/src/stores/projectSettings.ts';

const summary: ProjectSummary = { dir: '/p', name: 'p', created: '2026-01-01T00:00:00Z', schemaVersion: 2, appVersion: '0.1.0', caseCount: 0, classes: [] };
const job = (kind: string, status: JobInfo['status'] = 'queued'): JobInfo => ({ jobId: `j-${kind}`, kind, status, done: 0, total: 1, message: '', started: '2026-01-01T00:00:00Z' });
const okCheck = (path: string, role: 'image' | 'label'): FileCheck => ({ path, role, ok: true, format: 'nifti', shape: [2, 2, 2], dtype: 'uint8' });

/** An engine whose answers a test scripts per method; it records every call. */
class ScriptedEngine implements EngineApi {
  calls: { method: MethodName; params: unknown }[] = [];
  answers: Partial<Record<MethodName, (params: never) => unknown>> = {};
  listeners = new Set<(e: EngineEvent) => void>();
  request<M extends MethodName>(method: M, params: never): Promise<never> {
    this.calls.push({ method, params });
    const answer = this.answers[method];
    if (!answer) return Promise.reject(new Error(`${method}: not scripted`));
    try {
      return Promise.resolve(answer(params) as never);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
  onEvent(listener: (e: EngineEvent) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(e: EngineEvent) {
    for (const l of this.listeners) l(e);
  }
  fetchSlice(): never {
    throw new Error('no voxels here');
  }
  fetchLevel(): never {
    throw new Error('no voxels here');
  }
  methods(): MethodName[] {
    return this.calls.map((c) => c.method);
  }
}

let engine: ScriptedEngine;

beforeEach(() => {
  setActivePinia(createPinia());
  engine = new ScriptedEngine();
  setEngine(engine as unknown as EngineApi);
  engine.answers['job.list'] = () => ({ jobs: [] });
  engine.answers['project.open'] = () => ({ ...summary, caseCount: 1 });
  engine.answers['case.list'] = () => ({ cases: [{ id: 'c1', domain: 'default', note: '', imageIds: ['v1'], labelId: null, modalities: [null], splits: [] }] });
  useProjectStore().project = summary;
  useJobsStore().listen();
});

/** Waits until `condition` holds (the stores work through a few promise turns). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((r) => setTimeout(r, 0));
  expect(condition()).toBe(true);
}

describe('validationMessage', () => {
  it('one line per failed file, naming it and its role', () => {
    expect(
      validationMessage([
        okCheck('/a.nii', 'image'),
        { path: '/b.nii', role: 'label', ok: false, problem: 'a label map must hold integers, this file holds float32' },
        { path: '/c.nii', role: 'image', ok: false },
      ]),
    ).toBe('/b.nii (label): a label map must hold integers, this file holds float32\n/c.nii (image): cannot be imported');
  });
});

describe('import store', () => {
  it('stops at form problems without asking the engine', async () => {
    const importer = useProjectImportStore();
    importer.addImage('relative.nii');
    importer.caseId = '-x';
    expect(await importer.validate()).toBe(false);
    expect(importer.error).toBe("images: every image must be an absolute path\ncaseId: must be 1-128 characters of letters, digits, '.', '_' or '-', starting with a letter or digit");
    expect(engine.methods().filter((m) => m.startsWith('case.'))).toEqual([]);
  });

  it('shows the engine checks and names the bad file', async () => {
    engine.answers['case.validate'] = () => ({ ok: false, files: [okCheck('/a.nii', 'image'), { path: '/l.nii', role: 'label', ok: false, problem: 'not on the first image\'s grid (shape 3x2x2 vs 2x2x2)' }] });
    const importer = useProjectImportStore();
    importer.addImage('/a.nii');
    importer.setLabel('/l.nii');
    expect(await importer.validate()).toBe(false);
    expect(importer.checks?.files).toHaveLength(2);
    expect(importer.error).toBe("/l.nii (label): not on the first image's grid (shape 3x2x2 vs 2x2x2)");
    expect(engine.calls.find((c) => c.method === 'case.validate')?.params).toEqual({ image: ['/a.nii'], label: '/l.nii' });
  });

  it('follows the import job to its end, then clears the form and refreshes the cases', async () => {
    engine.answers['case.validate'] = () => ({ ok: true, files: [okCheck('/a.nii', 'image')] });
    engine.answers['case.import'] = () => ({ ok: true, files: [okCheck('/a.nii', 'image')], job: job('import') });
    const importer = useProjectImportStore();
    importer.addImage('/a.nii');
    importer.domain = 'xct';
    const done = importer.importCase();
    await until(() => importer.jobId === 'j-import');
    expect(importer.outcome).toBeNull();
    engine.emit({ event: 'job.finished', payload: { jobId: 'j-import', kind: 'import', status: 'completed', result: { caseId: 'a' } } });
    await done;
    expect(importer.outcome).toBe('imported case a');
    expect(importer.images).toEqual([]);
    expect(engine.calls.find((c) => c.method === 'case.import')?.params).toEqual({ projectDir: '/p', image: ['/a.nii'], domain: 'xct' });
    expect(useProjectStore().cases.map((c) => c.id)).toEqual(['c1']);
    expect(useProjectStore().project?.caseCount).toBe(1);
  });

  it('says why an import job failed, and keeps the files for another try', async () => {
    engine.answers['case.validate'] = () => ({ ok: true, files: [okCheck('/a.nii', 'image')] });
    engine.answers['case.import'] = () => ({ ok: true, files: [okCheck('/a.nii', 'image')], job: job('import') });
    const importer = useProjectImportStore();
    importer.addImage('/a.nii');
    const done = importer.importCase();
    await until(() => importer.jobId === 'j-import');
    engine.emit({ event: 'job.finished', payload: { jobId: 'j-import', kind: 'import', status: 'failed', error: '/a.nii: gzip stream is corrupt or truncated' } });
    await done;
    expect(importer.error).toBe('import failed: /a.nii: gzip stream is corrupt or truncated');
    expect(importer.images).toEqual(['/a.nii']);
  });

  it('sorts a drop that is not one case out before uploading anything', async () => {
    const importer = useProjectImportStore();
    await importer.addDropped([{ name: 'a_seg.nii' } as File, { name: 'a_mask.nii' } as File]);
    expect(importer.error).toMatch(/^dropped files: no image among a_seg\.nii, a_mask\.nii/);
    expect(importer.uploads).toEqual([]);
  });
});

describe('settings store', () => {
  it('runs the statistics job and reads the statistics when it completes', async () => {
    engine.answers['job.start'] = () => job('statistics');
    const histogram = { bins: [0, 1, 2], counts: [3, 4] };
    engine.answers['stats.get'] = () => ({ statistics: [{ domain: 'default', channel: 0, histogram }] });
    engine.answers['domain.list'] = () => ({ domains: [] });
    const settings = useProjectSettingsStore();
    const done = settings.computeStatistics();
    await until(() => settings.statsJobId === 'j-statistics');
    expect(engine.methods()).not.toContain('stats.get');
    engine.emit({ event: 'job.finished', payload: { jobId: 'j-statistics', kind: 'statistics', status: 'completed' } });
    await done;
    expect(settings.statistics.map((s) => s.histogram)).toEqual([histogram]);
    expect(settings.error).toBeNull();
  });

  it('shows the engine error of a refused split', async () => {
    engine.answers['split.assign'] = () => {
      throw new Error('folds: 3 folds need at least 3 labelled training cases, the project has 2');
    };
    const settings = useProjectSettingsStore();
    await settings.assignSplit(3, 1, undefined);
    expect(settings.error).toBe('folds: 3 folds need at least 3 labelled training cases, the project has 2');
    expect(settings.notice).toBeNull();
  });
});
