// End to end: the training dashboard in web mode (Chromium). A tiny labelled project is prepared through the engine;
// everything else goes through the UI: load the tiny preset, an inline error for a bad learning rate refuses Start,
// fix it, Start, the loss chart receives points, Pause / Resume / Cancel, resume the run from the run list, and the
// epoch Dice and a sample picture of a validation slice appear.
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTinyProject } from '../fixtures/training/tiny-project.ts';
import { ARTIFACTS, CHROMIUM, openViewer, type ViewerSession } from './helpers/viewer.ts';

/** resources/configs/tiny-2.5d.yaml with one epoch and a lower learning rate. */
const BASELINE = {
  seed: 1,
  backend: 'cpu',
  network: { kind: '2.5d', axis: 'z', context: 1, levels: 2, filters: 4, norm: 'instance' },
  patchSize: [32, 32],
  batchSize: 4,
  epochs: 1,
  stepsPerEpoch: 4,
  optimizer: { type: 'adam', lr: 0.001 },
  augmentation: { flip: { p: 0.5, axes: ['x', 'y'] }, affine: { pRotation: 0, pScale: 0 } },
};

describe('training dashboard in web mode (Chromium)', () => {
  let session: ViewerSession;
  let project: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set SEGSTATION_CHROMIUM)`);
    project = await makeTinyProject({ cases: 3, shape: [32, 32, 4] });
    session = await openViewer('', { width: 1280, height: 900 });
    await session.engine.call('project.open', { dir: project });
    // A short earlier run to compare with (a precondition, so made through the engine).
    const engine = session.engine;
    const job = await engine.call('job.start', { kind: 'train', params: { projectDir: project, runId: 'baseline', config: { ...BASELINE } } });
    await new Promise<void>((resolve, reject) => {
      const off = engine.onEvent((e) => {
        if (e.event === 'job.finished' && e.payload.jobId === job.jobId) {
          off();
          if (e.payload.status === 'completed') resolve();
          else reject(new Error(`baseline run ${e.payload.status}: ${e.payload.error ?? ''}`));
        }
      });
    });
  }, 180_000);

  afterAll(async () => {
    await session?.close();
    if (project) rmSync(path.dirname(project), { recursive: true, force: true });
  });

  it('trains from the form: inline errors, start, pause, resume, cancel, resume the run, Dice and samples', async () => {
    const { page } = session;
    const byId = (id: string) => page.locator(`[data-testid="${id}"]`);
    await byId('tab-training').click();
    await expect.poll(() => byId('training-preset').locator('option').count(), { timeout: 30_000 }).toBeGreaterThan(3);
    await byId('training-preset').selectOption('tiny-2.5d');
    await expect.poll(() => byId('training-input-optimizer.lr').inputValue()).toBe('0.01');
    await expect.poll(() => byId('training-input-network.filters').inputValue()).toBe('4');

    // A bad value: the engine's issue shows next to the field (debounced check) and Start is refused.
    await byId('training-input-optimizer.lr').fill('-1');
    const inline = byId('training-field-optimizer.lr').locator('[data-testid="training-field-error"]');
    await inline.waitFor({ timeout: 15_000 });
    expect(await inline.textContent()).toMatch(/optimizer\.lr: .*-1/);
    expect(await byId('training-start').isDisabled()).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'training-form-error.png') });

    // Fixed: no issue, Start enabled. Fewer epochs keep the test short.
    await byId('training-input-optimizer.lr').fill('0.01');
    await byId('training-input-epochs').fill('6');
    await expect.poll(() => byId('training-start').isDisabled(), { timeout: 15_000 }).toBe(false);
    expect(await inline.count()).toBe(0);
    await byId('training-start').click();

    // Live curve: points counted from the chart's data-points.
    const lossPoints = () => byId('training-chart-loss').getAttribute('data-points').then(Number);
    await expect.poll(lossPoints, { timeout: 90_000, interval: 250 }).toBeGreaterThan(0);
    const runId = await byId('training-status').getAttribute('data-run');
    expect(runId).toMatch(/^train-/);
    expect(await byId('training-throughput').textContent()).toMatch(/voxels\/s/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'training-running.png') });

    await byId('training-pause').click();
    await expect.poll(() => byId('training-status').getAttribute('data-status'), { timeout: 30_000 }).toBe('paused');
    // The job is paused at once; the run holds at its next step boundary and says so.
    await expect.poll(() => byId('training-status').getAttribute('data-held'), { timeout: 60_000 }).toBe('true');
    const pausedAt = await lossPoints();
    await page.waitForTimeout(1000);
    expect(await lossPoints()).toBe(pausedAt);
    await byId('training-resume').click();
    await expect.poll(() => byId('training-status').getAttribute('data-status'), { timeout: 30_000 }).toBe('running');
    await byId('training-cancel').click();
    const row = byId(`training-run-${runId}`);
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 60_000 }).toBe('cancelled');

    // Resume the cancelled run from the run list: it trains on, validates, shows Dice and sample pictures.
    await byId(`training-resume-run-${runId}`).click();
    await expect.poll(() => byId('training-chart-dice').getAttribute('data-points').then(Number), { timeout: 120_000, interval: 500 }).toBeGreaterThan(0);
    await byId('training-dice').waitFor({ timeout: 30_000 });
    expect(await byId('training-dice').textContent()).toMatch(/Dice .*\d\.\d{3}/);
    const img = byId('training-samples').locator('img').first();
    await img.waitFor({ timeout: 30_000 });
    await expect.poll(() => img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth), { timeout: 30_000 }).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'training-resumed.png') });
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 120_000 }).toBe('completed');

    // After a page reload the curves come back from the run's stored history.
    await page.reload();
    await byId('tab-training').click();
    await byId(`training-show-${runId}`).click();
    await expect.poll(lossPoints, { timeout: 30_000 }).toBeGreaterThanOrEqual(6);
    await expect.poll(() => byId('training-chart-dice').getAttribute('data-points').then(Number), { timeout: 30_000 }).toBeGreaterThanOrEqual(6);

    // Compare with the baseline: only the differing settings, highlighted, and both runs' curves overlaid.
    await byId(`training-compare-${runId}`).check();
    await byId('training-compare-baseline').check();
    const diff = byId('training-config-diff');
    await expect.poll(() => diff.locator('tr[data-differs="true"]').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const keys = await diff.locator('tr[data-differs="true"] td:first-child').allTextContents();
    expect(keys).toEqual(expect.arrayContaining(['epochs', 'optimizer.lr']));
    expect(keys).not.toContain('seed');
    const overlaid = byId('training-compare-chart-loss');
    await expect.poll(() => overlaid.locator('path[data-series]').count(), { timeout: 30_000 }).toBe(2);
    expect(Number(await overlaid.getAttribute('data-points'))).toBeGreaterThan(2);
    await byId('training-compare').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(ARTIFACTS, 'training-compare.png') });
    expect(session.errors).toEqual([]);
  }, 360_000);
});
