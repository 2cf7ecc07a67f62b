// End to end: web mode + the built renderer in Debian's Chromium (software WebGL2). Opens a real MR volume with its
// 7-class k-means segmentation through the UI and checks, from pixels read back from the GL canvases, that every view
// draws, that hiding one label removes exactly that label's colour, and that scrolling the axial view changes it.
import path from 'node:path';
import os from 'node:os';
import { existsSync, promises as fs } from 'node:fs';
import '../../main/io/formats.ts';
import { importCase, initProject } from '../../main/dataset/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasSharedData, sharedPath } from '../helpers/shared-data.ts';
import {
  ARTIFACTS,
  CHROMIUM,
  capture,
  countChanged,
  countNear,
  countNotBackground,
  hookState,
  labelClasses,
  openViewer,
  settle,
  waitForVolumeShown,
  type ViewerSession,
} from './helpers/viewer.ts';
import type { HookHost } from '../../renderer/src/testHookApi.ts';

const IMAGE = sharedPath('debian_itk_examples/KmeansTest_T1UCharRaw.nii.gz');
const LABELS = sharedPath('debian_itk_examples/KmeansTest_T1KmeansPrelimSegmentation.nii.gz');
const HEADSQ = sharedPath('vtkjs/headsq.vti');
const SLICE_BACKGROUND = [0, 0, 0];
const VIEW3D_BACKGROUND = [20, 23, 28];

describe.skipIf(!hasSharedData())('viewer in web mode (Chromium, SwiftShader)', () => {
  let session: ViewerSession;

  beforeAll(async () => {
    // CI installs Debian's chromium (.ci/run); a missing browser is a failure, not a skip.
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set SEGSTATION_CHROMIUM)`);
    // Software GL: no volume shading, and label surfaces from the 64x64x31 label level (fewer triangles to draw).
    session = await openViewer('shade=0&surfaceVoxels=200000');
  }, 120_000);

  afterAll(async () => {
    await session?.close();
  });

  const screenshot = (name: string) => session.page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });

  it('opens an image with its label map from the file form and draws all four views', async () => {
    const { page } = session;
    await page.getByTestId('image-path').fill(IMAGE);
    await page.getByTestId('label-path').fill(LABELS);
    await page.getByTestId('open-files').click();
    await waitForVolumeShown(page, true);
    await settle(page);
    const state = await hookState(page);
    expect(state.error).toBeNull();
    // The file is stored L-S-A: index y runs along the body axis, so the axial view must slice index axis 1.
    expect(state.axes).toEqual({ axial: 1, coronal: 2, sagittal: 0 });
    expect(state.shownSlice).toEqual({ axial: 64, coronal: 31, sagittal: 64 });
    await screenshot('kmeans-open');

    for (const view of ['axial', 'coronal', 'sagittal'] as const) {
      const pixels = await capture(page, view);
      expect(pixels.width).toBeGreaterThan(300);
      const drawn = countNotBackground(pixels, SLICE_BACKGROUND);
      // The head fills a good part of each view; an empty or failed render leaves the background.
      expect(drawn, `${view} view`).toBeGreaterThan(pixels.width * pixels.height * 0.1);
    }
    const pixels3d = await capture(page, '3d');
    expect(countNotBackground(pixels3d, VIEW3D_BACKGROUND), '3D view').toBeGreaterThan(pixels3d.width * pixels3d.height * 0.05);
    await page.getByTestId('view-3d').screenshot({ path: path.join(ARTIFACTS, 'kmeans-3d.png') });
  }, 120_000);

  it('hiding one label changes the overlay pixels of that label colour only', async () => {
    const { page } = session;
    await page.getByTestId('label-opacity').fill('1');
    await settle(page);
    const classes = await labelClasses(page);
    expect(classes.map((c) => c.value)).toEqual([1, 2, 3, 4, 5, 6]);
    const before = await capture(page, 'axial');
    const countsBefore = classes.map((c) => countNear(before, c.color));
    // The label with most pixels on this slice other than the largest (so others stay visible around it).
    const order = classes.map((c, i) => ({ c, n: countsBefore[i] })).sort((a, b) => b.n - a.n);
    const target = order[1].c;
    expect(order[1].n).toBeGreaterThan(200);
    await page.getByTestId(`label-visible-${target.value}`).uncheck();
    await settle(page);
    const after = await capture(page, 'axial');
    await page.getByTestId('view-axial').screenshot({ path: path.join(ARTIFACTS, `kmeans-axial-label${target.value}-hidden.png`) });
    classes.forEach((c, i) => {
      const n = countNear(after, c.color);
      if (c.value === target.value) expect(n, `hidden label ${c.value}`).toBeLessThan(countsBefore[i] * 0.02 + 2);
      else expect(Math.abs(n - countsBefore[i]), `label ${c.value} unchanged`).toBeLessThanOrEqual(Math.max(3, countsBefore[i] * 0.01));
    });
    // Only pixels that were the hidden label's colour changed.
    expect(countChanged(before, after)).toBeLessThanOrEqual(countsBefore[classes.indexOf(target)] * 1.05 + 10);
    await page.getByTestId(`label-visible-${target.value}`).check();
    await settle(page);
    expect(countNear(await capture(page, 'axial'), target.color)).toBeGreaterThan(countsBefore[classes.indexOf(target)] * 0.98);
    // In 3D, label 1 (everything around the head) is a box around the other surfaces: hiding it shows them.
    const hue = (p: Awaited<ReturnType<typeof capture>>, channel: 0 | 1 | 2) => {
      let n = 0;
      for (let i = 0; i < p.rgba.length; i += 4) {
        const c = p.rgba[i + channel];
        const others = [0, 1, 2].filter((k) => k !== channel).map((k) => p.rgba[i + k]);
        if (c > 40 && others.every((o) => c > 2 * o)) n++;
      }
      return n;
    };
    const boxed = await capture(page, '3d');
    await page.getByTestId('label-visible-1').uncheck();
    await settle(page);
    const open = await capture(page, '3d');
    await page.getByTestId('view-3d').screenshot({ path: path.join(ARTIFACTS, 'kmeans-3d-label1-hidden.png') });
    expect(hue(open, 0)).toBeLessThan(hue(boxed, 0) * 0.2);
    expect(hue(open, 1)).toBeGreaterThan(hue(boxed, 1) * 1.5);
    await page.getByTestId('label-visible-1').check();
    await settle(page);
  });

  it('scrolling the axial view moves its slice and changes the image', async () => {
    const { page } = session;
    const before = await capture(page, 'axial');
    const index0 = (await hookState(page)).shownSlice.axial!;
    const box = (await page.getByTestId('view-axial').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 0; i < 6; i++) await page.mouse.wheel(0, 100);
    await settle(page);
    const index1 = (await hookState(page)).shownSlice.axial!;
    expect(Math.abs(index1 - index0)).toBe(6);
    expect(await page.getByTestId('index-axial').textContent()).toBe(`${index1 + 1}/128`);
    const after = await capture(page, 'axial');
    expect(countChanged(before, after)).toBeGreaterThan(before.width * before.height * 0.02);
    await screenshot('kmeans-scrolled');
  });

  it('links the crosshair across views, drags window/level, and switches outline mode and 3D presets', async () => {
    const { page } = session;
    const before = await hookState(page);
    const box = (await page.getByTestId('view-axial').locator('.canvas').boundingBox())!;
    // A click left of and above the centre of the axial view: sagittal (x) and coronal (z, anterior-posterior) move.
    await page.mouse.click(box.x + box.width * 0.35, box.y + box.height * 0.3);
    await settle(page);
    const clicked = await hookState(page);
    expect(clicked.crosshair[1]).toBe(before.crosshair[1]);
    expect(clicked.crosshair[0]).not.toBe(before.crosshair[0]);
    expect(clicked.crosshair[2]).not.toBe(before.crosshair[2]);
    expect(clicked.shownSlice.sagittal).toBe(clicked.crosshair[0]);
    expect(clicked.shownSlice.coronal).toBe(clicked.crosshair[2]);

    const window0 = Number(await page.getByTestId('window').inputValue());
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    expect(Number(await page.getByTestId('window').inputValue())).toBeLessThan(window0);
    expect((await hookState(page)).crosshair).toEqual(clicked.crosshair);

    const classes = await labelClasses(page);
    const colourCount = (p: Awaited<ReturnType<typeof capture>>) => classes.reduce((sum, c) => sum + countNear(p, c.color), 0);
    const filled = colourCount(await capture(page, 'axial'));
    await page.getByTestId('label-outline').check();
    await settle(page);
    const outlined = await capture(page, 'axial');
    expect(colourCount(outlined)).toBeLessThan(filled * 0.8);
    expect(colourCount(outlined)).toBeGreaterThan(filled * 0.05);
    await page.getByTestId('view-axial').screenshot({ path: path.join(ARTIFACTS, 'kmeans-axial-outline.png') });
    await page.getByTestId('label-outline').uncheck();

    await page.getByTestId('show-surfaces').uncheck();
    await settle(page);
    const mr = await capture(page, '3d');
    await page.getByTestId('preset').selectOption('tomography');
    await settle(page);
    const tomography = await capture(page, '3d');
    expect(countChanged(mr, tomography)).toBeGreaterThan(mr.width * mr.height * 0.01);
    await page.getByTestId('view-3d').screenshot({ path: path.join(ARTIFACTS, 'kmeans-3d-tomography-volume.png') });
    // A click on empty space of the opacity curve adds a point there: the mid-range becomes nearly opaque.
    const curve = (await page.getByTestId('opacity-curve').boundingBox())!;
    await page.mouse.click(curve.x + curve.width * 0.45, curve.y + curve.height * 0.1);
    await settle(page);
    expect(countChanged(tomography, await capture(page, '3d'))).toBeGreaterThan(mr.width * mr.height * 0.01);
    await page.getByTestId('show-surfaces').check();

    // The overlay is opaque since the label test; clear it to see the image's colour map.
    await page.getByTestId('label-opacity').fill('0');
    await settle(page);
    const grey = await capture(page, 'sagittal');
    await page.getByTestId('colormap').selectOption('hot');
    await settle(page);
    expect(countChanged(grey, await capture(page, 'sagittal'))).toBeGreaterThan(grey.width * grey.height * 0.02);
    await page.getByTestId('view-sagittal').screenshot({ path: path.join(ARTIFACTS, 'kmeans-sagittal-hot.png') });
    await page.getByTestId('colormap').selectOption('grayscale');
    await page.getByTestId('label-opacity').fill('0.5');
  });

  it('opens a project folder, lists its cases and shows a case from its OME-Zarr stores', async () => {
    const { page } = session;
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-e2e-project-'));
    try {
      await initProject(dir);
      await importCase(dir, { image: IMAGE, label: LABELS, caseId: 'kmeans' });
      await page.getByTestId('project-dir').fill(dir);
      await page.getByTestId('open-project').click();
      const caseButton = page.getByTestId('case-list').getByRole('button', { name: 'kmeans' });
      await caseButton.waitFor({ timeout: 30_000 });
      const previous = (await hookState(page)).imageId;
      await caseButton.click();
      await page.waitForFunction((prev) => (globalThis as unknown as HookHost).__segstation!.state().imageId !== prev, previous);
      await waitForVolumeShown(page, true);
      await settle(page);
      const state = await hookState(page);
      expect(state.error).toBeNull();
      expect(state.axes).toEqual({ axial: 1, coronal: 2, sagittal: 0 });
      expect((await labelClasses(page)).length).toBeGreaterThanOrEqual(6);
      for (const view of ['axial', 'coronal', 'sagittal'] as const) {
        const pixels = await capture(page, view);
        expect(countNotBackground(pixels, SLICE_BACKGROUND), view).toBeGreaterThan(pixels.width * pixels.height * 0.1);
      }
      await screenshot('project-case');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('reports a file it cannot open and keeps showing the current volume', async () => {
    const { page } = session;
    const shown = (await hookState(page)).imageId;
    const missing = path.join(os.tmpdir(), 'segstation-no-such-file.nii.gz');
    await page.getByTestId('label-path').fill('');
    await page.getByTestId('image-path').fill(missing);
    await page.getByTestId('open-files').click();
    await page.getByTestId('error').waitFor();
    expect(await page.getByTestId('error').textContent()).toContain('segstation-no-such-file.nii.gz');
    expect((await hookState(page)).imageId).toBe(shown);
  });

  it('shows headsq.vti (rotated direction, anisotropic spacing) with axial slices along index z', async () => {
    const { page } = session;
    await page.getByTestId('label-path').fill('');
    await page.getByTestId('image-path').fill(HEADSQ);
    await page.getByTestId('open-files').click();
    await waitForVolumeShown(page, false);
    await settle(page);
    const state = await hookState(page);
    expect(state.error).toBeNull();
    expect(state.axes).toEqual({ axial: 2, coronal: 1, sagittal: 0 });
    expect(state.shownSlice).toEqual({ axial: 46, coronal: 32, sagittal: 32 });
    for (const view of ['axial', 'coronal', 'sagittal', '3d'] as const) {
      const pixels = await capture(page, view);
      expect(countNotBackground(pixels, view === '3d' ? VIEW3D_BACKGROUND : SLICE_BACKGROUND), view).toBeGreaterThan(pixels.width * pixels.height * 0.05);
    }
    await screenshot('headsq');
    expect(session.errors.filter((e) => !/favicon/.test(e))).toEqual([]);
  });
});
