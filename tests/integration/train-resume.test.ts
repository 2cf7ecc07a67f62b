/**
 * A training process killed with SIGKILL mid-epoch resumes (through the CLI) from its last checkpoint with its metric
 * history intact; the CLI refuses a bad config and an unlabelled project before any work starts.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTrainingConfig } from '../../main/training/config/index.ts';
import type { TrainingEvent } from '../../main/training/runs/events.ts';
import { startTraining } from '../../main/training/runs/process.ts';
import { getRun, getRunMetrics } from '../../main/training/runs/records.ts';
import { runCli } from '../helpers/cli.ts';
import { makeTinyProject } from '../fixtures/training/tiny-project.ts';

const CONFIG = fileURLToPath(new URL('../../resources/configs/tiny-2.5d.yaml', import.meta.url));

let project: string;
beforeAll(async () => {
  project = await makeTinyProject({ cases: 3, shape: [32, 32, 6] });
});

describe('segstation train', () => {
  it('resumes a run killed with SIGKILL mid-epoch from its last checkpoint, history intact', async () => {
    const config = await loadTrainingConfig(CONFIG); // 4 epochs x 4 steps
    const run = startTraining({ project, config, fold: 0 });
    const seen: TrainingEvent[] = [];
    await new Promise<void>((resolve) => {
      run.on('event', (e) => {
        seen.push(e);
        // Kill in the middle of the second epoch, after the first checkpoint.
        if (e.type === 'step' && e.step === 6) {
          process.kill(run.pid as number, 'SIGKILL');
          resolve();
        }
      });
    });
    const killed = await run.done;
    expect(killed.signal).toBe('SIGKILL');
    const runId = run.runId as string;
    expect((await getRun(project, runId)).status).toBe('running'); // it never got to say otherwise
    const before = await getRunMetrics(project, runId);
    expect([...new Set(before.map((m) => m.step))]).toEqual([4]);
    const epoch0 = seen.find((e) => e.type === 'epoch') as Extract<TrainingEvent, { type: 'epoch' }>;
    expect(before.find((m) => m.name === 'loss')?.value).toBeCloseTo(epoch0.metrics.loss, 6);

    const resumed = await runCli(['train', project, '--resume', runId, '--json']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const events = resumed.stdout.trim().split('\n').map((l) => JSON.parse(l) as TrainingEvent);
    expect(events[0]).toMatchObject({ type: 'start', runId, resumedFrom: { epoch: 1, step: 4 } });
    expect(events.find((e) => e.type === 'step')).toMatchObject({ epoch: 1, step: 5 });
    // The replayed steps 5 and 6 are the same batches and weights as before the kill: the same losses.
    const firstSteps = seen.filter((e) => e.type === 'step' && e.step > 4) as Extract<TrainingEvent, { type: 'step' }>[];
    const againSteps = events.filter((e) => e.type === 'step' && e.step <= 6) as Extract<TrainingEvent, { type: 'step' }>[];
    expect(againSteps.map((e) => e.loss)).toEqual(firstSteps.map((e) => e.loss));
    expect(events[events.length - 1]).toMatchObject({ type: 'end', status: 'completed', epoch: 4, step: 16 });

    const after = await getRunMetrics(project, runId);
    expect([...new Set(after.map((m) => m.step))]).toEqual([4, 8, 12, 16]);
    expect(after.filter((m) => m.step === 4)).toEqual(before);
    expect((await getRun(project, runId)).status).toBe('completed');
  });

  it('refuses a bad config and an unlabelled project with exit code 2 and one line, before any work', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'segstation-train-cli-'));
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(bad, 'patchSize: [32, 32]\nnetwork: { kind: 2.5d, levelz: 3 }\n');
    const r1 = await runCli(['train', project, '--config', bad]);
    expect(r1.code).toBe(2);
    expect(r1.stderr.trim()).toBe(`${bad}: network.levelz: unknown key`);

    const unlabelled = await makeTinyProject({ cases: 2, shape: [16, 16, 4], unlabelled: true });
    const r2 = await runCli(['train', unlabelled, '--config', CONFIG]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/none of the 2 cases has a label map/);
    expect(readdirSync(path.join(unlabelled, 'runs'))).toEqual([]);
    expect(existsSync(path.join(unlabelled, 'runs'))).toBe(true);

    const r3 = await runCli(['train', project, '--config', CONFIG, '--backend', 'wasm']);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/wasm is refused/);
  });
});
