// End to end: the phase-boundaries workspace in web mode (Chromium, SwiftShader). A project with one 3-phase electrode
// phantom case (its label map is the ground truth) and a prediction recorded in the catalogue (the label with the
// carbon-binder phase grown by one voxel into NMC in half of the volume); through the UI: choose the prediction, read
// back the pair colours from the 3D view, hide a pair, colour by boundary error, cut a thin slab. Then the real
// shared electrode segmentation opened as a label volume.
import path from 'node:path';
import os from 'node:os';
import { existsSync, promises as fs } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import '../../main/io/formats.ts';
import { readVolume, writeVolume } from '../../main/io/registry.ts';
import { importCase, initProject } from '../../main/dataset/index.ts';
import { mutateCatalogue, nowIso } from '../../main/dataset/catalogue.ts';
import { electrodeLabels, electrodePhantom } from '../../main/phantom/electrode.ts';
import { createVolume } from '../../main/volume/volume.ts';
import { hasSharedData, sharedPath } from '../helpers/shared-data.ts';
import { ARTIFACTS, CHROMIUM, capture, countNear, countNotBackground, openViewer, settle, type Pixels, type ViewerSession } from './helpers/viewer.ts';

const ELECTRODE = sharedPath('taufactor/electrode.tiff');
const BACKGROUND = [20, 23, 28];
const SIZE = 40;
const CASE_ID = 'electrode_a';
const RUN_ID = 'boundaries-e2e';

/** Grows phase 2 (carbon-binder) by one voxel into phase 1 (NMC) where x < half: a known one-voxel boundary error. */
function perturb(labels: Uint8Array, n: number): Uint8Array {
  const out = labels.slice();
  const at = (x: number, y: number, z: number) => labels[(z * n + y) * n + x];
  for (let z = 0; z < n; z++) {
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n / 2; x++) {
        if (at(x, y, z) !== 1) continue;
        const touches =
          (x > 0 && at(x - 1, y, z) === 2) || at(x + 1, y, z) === 2 || (y > 0 && at(x, y - 1, z) === 2) || (y < n - 1 && at(x, y + 1, z) === 2) || (z > 0 && at(x, y, z - 1) === 2) || (z < n - 1 && at(x, y, z + 1) === 2);
        if (touches) out[(z * n + y) * n + x] = 2;
      }
    }
  }
  return out;
}

async function makeProject(root: string): Promise<string> {
  const segmentation = await readVolume(ELECTRODE);
  const labels = electrodeLabels(segmentation, [SIZE, SIZE, SIZE], 0.001);
  const image = electrodePhantom(labels, { seed: 5 });
  const imageFile = path.join(root, `${CASE_ID}.nii.gz`);
  const labelFile = path.join(root, `${CASE_ID}_label.nrrd`);
  await writeVolume(image, imageFile);
  await writeVolume(labels, labelFile);
  const project = path.join(root, 'project');
  await initProject(project, { name: 'boundaries e2e' });
  await importCase(project, { image: imageFile, label: labelFile, caseId: CASE_ID, domain: 'xct-phantom', modality: ['XCT'] });
  // The prediction, where inference puts one (main/inference/run.ts): runs/<run>/predictions/<case>/label.ome.zarr plus
  // its catalogue row.
  const folder = `runs/${RUN_ID}/predictions/${CASE_ID}`;
  const predicted = createVolume({ shape: labels.shape, data: perturb(labels.data as Uint8Array, SIZE), spacing: labels.spacing, labels: labels.labels, meta: { isLabel: true } });
  await writeVolume(predicted, path.join(project, folder, 'label.ome.zarr'));
  await mutateCatalogue(project, 'predict', (db) => {
    db.run(
      `INSERT INTO predictions (id, run_id, model_path, case_id, folder, options, uncertainty_score, created) VALUES (?, NULL, ?, ?, ?, ?, NULL, ?)`,
      [`${RUN_ID}/${CASE_ID}`, path.join(root, 'perturbed-label.onnx'), CASE_ID, folder, JSON.stringify({ perturbation: 'binder +1 voxel into NMC, x < half' }), nowIso()],
    );
  });
  return project;
}

interface LegendRow {
  key: string;
  color: number[];
}

async function legend(page: Page): Promise<LegendRow[]> {
  return page.$$eval('[data-testid^="boundaries-pair-"][data-color]', (rows) =>
    rows.map((r) => ({ key: (r.getAttribute('data-testid') ?? '').replace('boundaries-pair-', ''), color: (r.getAttribute('data-color') ?? '').split(',').map(Number) })),
  );
}

async function setRange(page: Page, testId: string, value: number): Promise<void> {
  // Playwright sets a range input's value and fires its input and change events.
  await page.getByTestId(testId).fill(String(value));
}

async function waitReady(page: Page): Promise<void> {
  await page.getByTestId('boundaries-status').filter({ hasText: /^\s*ready\s*$/ }).or(page.getByTestId('boundaries-error')).waitFor({ timeout: 90_000 });
  const error = await page.getByTestId('boundaries-error').textContent({ timeout: 100 }).catch(() => null);
  expect(error).toBeNull();
  await settle(page);
}

describe.skipIf(!hasSharedData())('phase boundaries workspace (Chromium, SwiftShader)', () => {
  let session: ViewerSession;
  let root: string;
  let project: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set SEGSTATION_CHROMIUM)`);
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-boundaries-'));
    project = await makeProject(root);
    // Software GL: no shading (colours exact), and the real 256^3 segmentation meshed from its 64^3 level.
    session = await openViewer('shade=0&boundaryVoxels=300000', { width: 760, height: 440 });
  }, 180_000);

  afterAll(async () => {
    await session?.close();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  const shot = (name: string) => session.page.screenshot({ path: path.join(ARTIFACTS, `boundaries-${name}.png`) });
  const counts = (p: Pixels, rows: LegendRow[]) => Object.fromEntries(rows.map((r) => [r.key, countNear(p, r.color, 6)]));

  it('draws every phase pair of a prediction in its legend colour, and hides one', async () => {
    const { page } = session;
    await page.getByTestId('project-dir').fill(project);
    await page.getByTestId('open-project').click();
    await page.getByTestId('case-list').getByText(CASE_ID).waitFor({ timeout: 30_000 });
    await page.getByTestId('tab-boundaries').click();
    await page.getByTestId('boundaries-source').locator(`option[value="pred:${RUN_ID}/${CASE_ID}"]`).waitFor({ state: 'attached', timeout: 30_000 });
    await page.getByTestId('boundaries-source').selectOption(`pred:${RUN_ID}/${CASE_ID}`);
    await waitReady(page);
    await shot('pairs');

    const rows = await legend(page);
    // pore | NMC, pore | carbon-binder, NMC | carbon-binder.
    expect(rows.map((r) => r.key)).toEqual(['0-1', '0-2', '1-2']);
    const pixels = await capture(page, 'boundaries-3d');
    expect(pixels.width).toBeGreaterThan(300);
    const drawn = countNotBackground(pixels, BACKGROUND);
    expect(drawn).toBeGreaterThan(pixels.width * pixels.height * 0.1);
    const before = counts(pixels, rows);
    for (const r of rows) expect(before[r.key], `pair ${r.key}`).toBeGreaterThan(200);
    // Nearly every drawn pixel is one of the pair colours (unlit, so exact up to anti-aliasing at edges).
    expect(Object.values(before).reduce((a, b) => a + b, 0)).toBeGreaterThan(drawn * 0.8);

    await page.getByTestId('boundaries-pair-toggle-0-2').uncheck();
    await settle(page);
    const hidden = counts(await capture(page, 'boundaries-3d'), rows);
    expect(hidden['0-2']).toBe(0);
    expect(hidden['0-1']).toBeGreaterThan(200);
    expect(hidden['1-2']).toBeGreaterThan(200);
    await shot('pair-hidden');
    await page.getByTestId('boundaries-pair-toggle-0-2').check();
    await settle(page);
  }, 180_000);

  it('colours by boundary error: zero where the prediction is right, larger where the binder grew', async () => {
    const { page } = session;
    const rows = await legend(page);
    const byPair = counts(await capture(page, 'boundaries-3d'), rows);
    await page.getByTestId('boundaries-color-error').check();
    await page.getByTestId('boundaries-colorbar').waitFor();
    await settle(page);
    const pixels = await capture(page, 'boundaries-3d');
    await shot('error');
    const afterPair = counts(pixels, rows);
    for (const r of rows) expect(afterPair[r.key], `pair colour ${r.key} gone`).toBeLessThan(byPair[r.key] * 0.05);
    // Viridis: 0 error -> (68, 1, 84); the one-voxel errors (1 µm of a 3 µm scale) -> around (50, 100, 142).
    const zero = countNear(pixels, [68, 1, 84], 10);
    expect(zero).toBeGreaterThan(1000);
    const legendText = await page.getByTestId('boundaries-legend').textContent();
    expect(legendText).toMatch(/µm/);
    // A smaller scale top pushes the same errors to the yellow end.
    const yellowBefore = countNear(pixels, [253, 231, 37], 20);
    await setRange(page, 'boundaries-max-distance', 0.00025);
    await settle(page);
    const yellowAfter = countNear(await capture(page, 'boundaries-3d'), [253, 231, 37], 20);
    expect(yellowAfter).toBeGreaterThan(yellowBefore + 200);
    await page.getByTestId('boundaries-color-pair').check();
    await settle(page);
  }, 120_000);

  it('a thin slab shows far fewer surface pixels, and the slice at its centre', async () => {
    const { page } = session;
    const full = countNotBackground(await capture(page, 'boundaries-3d'), BACKGROUND);
    await page.getByTestId('boundaries-slab').check();
    await page.getByTestId('boundaries-slab-axis').selectOption('2');
    await setRange(page, 'boundaries-slab-thickness', 2);
    await setRange(page, 'boundaries-slab-center', SIZE / 2);
    await settle(page);
    const thin = countNotBackground(await capture(page, 'boundaries-3d'), BACKGROUND);
    await shot('slab');
    expect(thin).toBeGreaterThan(0);
    expect(thin).toBeLessThan(full * 0.5);
    // Sweeping the slab changes what is drawn.
    await setRange(page, 'boundaries-slab-center', SIZE / 4);
    await settle(page);
    const moved = await capture(page, 'boundaries-3d');
    expect(countNotBackground(moved, BACKGROUND)).toBeGreaterThan(0);
    const slice = page.getByTestId('boundaries-slice');
    await expect.poll(() => slice.getAttribute('width')).toBe(String(SIZE));
    expect(await slice.getAttribute('height')).toBe(String(SIZE));
    await page.getByTestId('boundaries-slab').uncheck();
    await settle(page);
  }, 120_000);

  it('draws the pair surfaces of the real 3-phase electrode segmentation opened as a label file', async () => {
    const { page } = session;
    await page.getByTestId('boundaries-file-path').fill(ELECTRODE);
    await page.getByTestId('boundaries-file-open').click();
    await page.getByTestId('boundaries-info').filter({ hasText: 'electrode' }).waitFor({ timeout: 60_000 });
    await waitReady(page);
    const rows = await legend(page);
    expect(rows.map((r) => r.key)).toEqual(['0-85', '0-170', '85-170']);
    // No ground truth: boundary-error colouring is off.
    await expect(page.getByTestId('boundaries-color-error').isDisabled()).resolves.toBe(true);
    const pixels = await capture(page, 'boundaries-3d');
    await shot('electrode-real');
    const byPair = counts(pixels, rows);
    for (const r of rows) expect(byPair[r.key], `pair ${r.key}`).toBeGreaterThan(200);
    const info = await page.getByTestId('boundaries-info').textContent();
    expect(info).toMatch(/level 2 \(64×64×64\)/);

    // Full resolution (256^3) on demand runs in the worker with progress and can be cancelled; the 64^3 meshes stay.
    await page.getByTestId('boundaries-full-res').check();
    await page.getByTestId('boundaries-cancel').click({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('boundaries-error').textContent()).toMatch(/cancelled/);
    expect(await page.getByTestId('boundaries-full-res').isChecked()).toBe(false);
    await settle(page);
    const kept = counts(await capture(page, 'boundaries-3d'), rows);
    for (const r of rows) expect(kept[r.key], `pair ${r.key} after cancel`).toBeGreaterThan(200);
    expect(session.errors).toEqual([]);
  }, 150_000);

  it('leaves the workspace cleanly: its surfaces are disposed and the viewer shows', async () => {
    const { page } = session;
    await page.getByTestId('tab-viewer').click();
    await page.getByTestId('view-axial').waitFor({ timeout: 20_000 });
    await page.getByTestId('tab-boundaries').click();
    await page.getByTestId('workspace-boundaries').waitFor({ timeout: 20_000 });
    expect(session.errors).toEqual([]);
  }, 60_000);
});
