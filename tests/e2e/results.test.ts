// End to end: the results explorer in web mode (Chromium, SwiftShader). The engine prepares a project of three small
// electrode phantom cases and a quickly trained tiny 2.5D run; then, through the UI: inference with TTA uncertainty
// on the whole project (progress, completion), the cases ranked by uncertainty, the top case in the linked truth /
// prediction / error views (pixels read back), the uncertainty heat map changing the prediction view's pixels, the
// uncertainty volume rendering drawing, a failed job's readable error, and an inference job (one case) cancelled midway.
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../main/io/formats.ts';
import { assignSplits, computeStatistics, importCase, initProject } from '../../main/dataset/index.ts';
import { readVolume, writeVolume } from '../../main/io/registry.ts';
import { electrodeLabels, electrodePhantom } from '../../main/phantom/electrode.ts';
import { loadTrainingConfig } from '../../main/training/config/index.ts';
import { runTraining } from '../../main/training/runs/process.ts';
import { createVolume, type Volume } from '../../main/volume/volume.ts';
import { hasSharedData, sharedPath } from '../helpers/shared-data.ts';
import { ARTIFACTS, CHROMIUM, capture, countChanged, countNotBackground, openViewer, settle, type ViewerSession } from './helpers/viewer.ts';

const ELECTRODE = sharedPath('taufactor/electrode.tiff');
const TINY_CONFIG = fileURLToPath(new URL('../../resources/configs/tiny-2.5d.yaml', import.meta.url));
const SHAPE: [number, number, number] = [40, 40, 10];
const VIEW3D_BACKGROUND = [20, 23, 28];

function crop(volume: Volume, x0: number, y0: number, z0: number): Volume {
  const [nx, ny] = volume.shape;
  const [sx, sy, sz] = SHAPE;
  const data = new Uint8Array(sx * sy * sz);
  for (let z = 0; z < sz; z++) {
    for (let y = 0; y < sy; y++) {
      const src = ((z0 + z) * ny + (y0 + y)) * nx + x0;
      data.set(volume.data.subarray(src, src + sx) as Uint8Array, (z * sy + y) * sx);
    }
  }
  return createVolume({ shape: SHAPE, data, spacing: volume.spacing });
}

/** Three phantom cases, imported, split and with statistics; a tiny run trained for one short epoch. */
async function prepareProject(root: string): Promise<{ project: string; runId: string }> {
  const segmentation = await readVolume(ELECTRODE);
  const project = path.join(root, 'project');
  await initProject(project, { name: 'results e2e' });
  for (const [i, [x0, y0, z0]] of [[0, 0, 0], [100, 40, 30], [40, 120, 60]].entries()) {
    const labels = electrodeLabels(crop(segmentation, x0, y0, z0), undefined, 0.001);
    const image = electrodePhantom(labels, { seed: 10 + i });
    const imageFile = path.join(root, `case${i}.nii.gz`);
    const labelFile = path.join(root, `case${i}_label.nrrd`);
    await writeVolume(image, imageFile);
    await writeVolume(labels, labelFile);
    await importCase(project, { image: imageFile, label: labelFile, caseId: `case${i}`, domain: 'phantom' });
  }
  await assignSplits(project, { folds: 2, seed: 3 });
  await computeStatistics(project);
  const config = { ...(await loadTrainingConfig(TINY_CONFIG)), epochs: 1, stepsPerEpoch: 2 };
  const outcome = await runTraining({ project, config, fold: 0, runId: 'tiny-run' });
  expect(outcome.end?.status).toBe('completed');
  return { project, runId: 'tiny-run' };
}

describe.skipIf(!hasSharedData())('results explorer in web mode (Chromium, SwiftShader)', () => {
  let session: ViewerSession;
  let root: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set SEGSTATION_CHROMIUM)`);
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-results-e2e-'));
    const [{ project }, opened] = await Promise.all([prepareProject(root), openViewer('shade=0', { width: 1100, height: 720 })]);
    session = opened;
    await session.engine.call('project.open', { dir: project });
    await session.page.getByTestId('tab-results').click();
    await session.page.getByTestId('results-run').locator('option[value="tiny-run"]').waitFor({ state: 'attached', timeout: 30_000 });
  }, 150_000);

  afterAll(async () => {
    await session?.close();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  const screenshot = (name: string) => session.page.screenshot({ path: path.join(ARTIFACTS, `results-${name}.png`) });
  const jobStatus = () => session.page.getByTestId('results-job-status').textContent();
  const numberAttr = async (testId: string, name: string) => Number((await session.page.getByTestId(testId).getAttribute(name)) ?? NaN);
  const shownIndex = (role: string) => numberAttr(`results-view-${role}`, 'data-shown-index');
  const allShown = async () => Promise.all(['truth', 'pred', 'error'].map(shownIndex));
  /** Job progress as [done, total, status]. */
  const progress = async () => {
    const job = session.page.getByTestId('results-job');
    if ((await job.count()) === 0) return [0, 0, ''] as const;
    return [Number(await job.getAttribute('data-done')), Number(await job.getAttribute('data-total')), (await job.getAttribute('data-status')) ?? ''] as const;
  };

  it('runs inference with TTA uncertainty on the project, with progress, and ranks the cases by uncertainty', async () => {
    const { page } = session;
    expect(await page.getByTestId('results-run').inputValue()).toBe('tiny-run');
    await page.getByTestId('results-scope').selectOption('project');
    await page.getByTestId('results-uncertainty').selectOption('tta');
    await page.getByTestId('results-start').click();
    await page.getByTestId('results-progress').waitFor({ timeout: 10_000 });
    // Progress moves (done > 0 of a known total of windows) before or as the job completes.
    await expect.poll(async () => { const [done, total] = await progress(); return done > 0 && total > 1; }, { timeout: 60_000 }).toBe(true);
    await expect.poll(async () => (await progress())[2], { timeout: 90_000, interval: 500 }).not.toMatch(/^(queued|running)$/);
    expect(await jobStatus(), (await page.getByTestId('results-job').textContent()) ?? '').toBe('completed');

    const rows = page.getByTestId('results-case-row');
    await rows.nth(2).waitFor({ timeout: 10_000 });
    expect(await rows.count()).toBe(3);
    const scores: number[] = [];
    for (let i = 0; i < 3; i++) scores.push(Number(await rows.nth(i).getAttribute('data-score')));
    expect(scores.every((s) => Number.isFinite(s) && s >= 0)).toBe(true);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    await screenshot('ranked');
  }, 120_000);

  it('opens the least certain case in the three linked slice views, which draw the same slice', async () => {
    const { page } = session;
    const top = page.getByTestId('results-case-row').first();
    const caseId = await top.getAttribute('data-case-id');
    await top.click();
    await expect.poll(() => page.getByTestId('results-shown-case').textContent(), { timeout: 30_000 }).toBe(`case ${caseId}`);
    await expect.poll(async () => (await allShown()).every((i) => i >= 0), { timeout: 30_000 }).toBe(true);
    await settle(page);
    expect(await page.getByTestId('results-error').count()).toBe(0);
    const shown = await allShown();
    expect(shown).toEqual([5, 5, 5]); // the middle of 10 axial slices, in every view
    for (const view of ['results-gt', 'results-pred', 'results-error']) {
      const pixels = await capture(page, view);
      expect(countNotBackground(pixels, [0, 0, 0]), view).toBeGreaterThan(pixels.width * pixels.height * 0.05);
    }
    // The error map: false positives reddish, false negatives bluish (the barely trained model makes both).
    const errors = await capture(page, 'results-error');
    let reddish = 0;
    let bluish = 0;
    for (let i = 0; i < errors.rgba.length; i += 4) {
      const [r, g, b] = [errors.rgba[i], errors.rgba[i + 1], errors.rgba[i + 2]];
      if (r > g + 60 && r > b + 60) reddish++;
      if (b > r + 60 && b > g + 20) bluish++;
    }
    expect(reddish, 'false-positive pixels').toBeGreaterThan(100);
    expect(bluish, 'false-negative pixels').toBeGreaterThan(100);
    // Scrolling one view scrolls all three.
    await page.getByTestId('results-view-pred').locator('.canvas').hover();
    await page.mouse.wheel(0, -100);
    // One slice further (up or down, as the camera looks), the same in all three views.
    await expect.poll(async () => { const now = await allShown(); return new Set(now).size === 1 && Math.abs(now[0] - 5) === 1; }, { timeout: 20_000 }).toBe(true);
    await settle(page);
    await screenshot('linked');
  }, 90_000);

  it('the uncertainty heat map changes the prediction view, and the uncertainty volume rendering draws', async () => {
    const { page } = session;
    const before = await capture(page, 'results-pred');
    const gtBefore = await capture(page, 'results-gt');
    await page.getByTestId('results-overlay-threshold').fill('0.05');
    await page.getByTestId('results-overlay-toggle').check();
    await settle(page);
    const after = await capture(page, 'results-pred');
    const changed = countChanged(before, after);
    expect(changed, 'pixels changed by the heat map').toBeGreaterThan(before.width * before.height * 0.01);
    // Only the prediction view carries the heat map.
    expect(countChanged(gtBefore, await capture(page, 'results-gt'))).toBe(0);
    await page.getByTestId('workspace-results').locator('main').screenshot({ path: path.join(ARTIFACTS, 'results-heatmap.png') });
    // Off again: back to the first picture.
    await page.getByTestId('results-overlay-toggle').uncheck();
    await settle(page);
    expect(countChanged(before, await capture(page, 'results-pred'))).toBe(0);

    await page.getByTestId('results-3d-mode').selectOption('uncertainty');
    await expect.poll(() => numberAttr('results-view-3d', 'data-level'), { timeout: 30_000 }).toBeGreaterThanOrEqual(0);
    await settle(page);
    const volume = await capture(page, 'results-3d');
    expect(countNotBackground(volume, VIEW3D_BACKGROUND), 'uncertainty volume rendering').toBeGreaterThan(volume.width * volume.height * 0.02);
    await page.getByTestId('results-view-3d').screenshot({ path: path.join(ARTIFACTS, 'results-uncertainty-3d.png') });

    await page.getByTestId('results-3d-mode').selectOption('prediction');
    await expect.poll(() => numberAttr('results-view-3d', 'data-surfaces'), { timeout: 30_000 }).toBeGreaterThan(0);
    await settle(page);
    const surfaces = await capture(page, 'results-3d');
    expect(countNotBackground(surfaces, VIEW3D_BACKGROUND), 'prediction surfaces').toBeGreaterThan(surfaces.width * surfaces.height * 0.02);

    // Truth vs prediction in 3D: false-positive and false-negative surfaces over a faint prediction.
    const predictionSurfaces = await numberAttr('results-view-3d', 'data-surfaces');
    await page.getByTestId('results-3d-mode').selectOption('errors');
    await expect.poll(() => numberAttr('results-view-3d', 'data-surfaces'), { timeout: 30_000 }).toBe(predictionSurfaces + 2);
    await settle(page);
    const errors3d = await capture(page, 'results-3d');
    expect(countChanged(surfaces, errors3d), 'error surfaces drawn').toBeGreaterThan(errors3d.width * errors3d.height * 0.02);
    await page.getByTestId('results-view-3d').screenshot({ path: path.join(ARTIFACTS, 'results-errors-3d.png') });

    // Another workspace in front and back: the case is still shown.
    const shownCase = await page.getByTestId('results-shown-case').textContent();
    await page.getByTestId('tab-viewer').click();
    await page.getByTestId('status').waitFor(); // the viewer's side panel
    await page.getByTestId('tab-results').click();
    expect(await page.getByTestId('results-shown-case').textContent()).toBe(shownCase);
    await expect.poll(async () => (await allShown()).every((i) => i >= 0), { timeout: 30_000 }).toBe(true);
    await settle(page);
    const again = await capture(page, 'results-pred');
    expect(countNotBackground(again, [0, 0, 0])).toBeGreaterThan(again.width * again.height * 0.05);
    expect(session.errors).toEqual([]);
  }, 90_000);

  it('shows why a job failed, naming the file', async () => {
    const { page } = session;
    // The run's network has no dropout, so its MC-dropout export (model.mc.onnx) has none to keep active: refused.
    await page.getByTestId('results-scope').selectOption('case');
    await page.getByTestId('results-case').selectOption('case1');
    await page.getByTestId('results-uncertainty').selectOption('mc');
    await page.getByTestId('results-start').click();
    await expect.poll(async () => (await progress())[2], { timeout: 30_000 }).toBe('failed');
    const message = await page.getByTestId('results-job-error').textContent();
    expect(message).toContain('runs/tiny-run/model.mc.card.json');
    expect(message).toMatch(/MC-dropout needs a model exported with active dropout/);
  }, 60_000);

  it('cancels an inference job midway', async () => {
    const { page } = session;
    await page.getByTestId('results-uncertainty').selectOption('tta');
    // A high overlap makes many windows, so the job is still running when Cancel is pressed.
    await page.getByTestId('results-overlap').fill('0.95');
    await page.getByTestId('results-overlap').dispatchEvent('change');
    await page.getByTestId('results-start').click();
    await expect.poll(async () => { const [done, total, status] = await progress(); return status === 'running' && done > 0 && done < total; }, { timeout: 60_000, interval: 100 }).toBe(true);
    expect(await page.getByTestId('results-job-message').textContent()).toMatch(/^case 1\/1 case1: /);
    await page.getByTestId('results-cancel').click();
    await expect.poll(jobStatus, { timeout: 30_000 }).toBe('cancelled');
    expect(session.errors).toEqual([]);
    await screenshot('cancelled');
  }, 90_000);
});
