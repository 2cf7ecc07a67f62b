// End to end, the project workspace in web mode (Chromium): create a project through the UI, import an electrode
// phantom case picked in the engine's file browser and another one dropped on the page (uploaded), see the per-file
// validation and a truncated file refused by name, rename and recolour a class, assign folds, and compute intensity
// statistics whose histogram draws bars. The engine is read back directly to check what the UI stored.
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../main/io/formats.ts';
import { writeVolume } from '../../main/io/registry.ts';
import { ELECTRODE_PHASES, electrodePhantom } from '../../main/phantom/electrode.ts';
import { createVolume, type Vec3, type Volume } from '../../main/volume/volume.ts';
import { ARTIFACTS, CHROMIUM, openViewer, type ViewerSession } from './helpers/viewer.ts';

const N = 24;

/** A small 3-phase label map: an NMC sphere and a carbon-binder slab in pore. */
function phaseLabels(offset: number): Volume {
  const shape: Vec3 = [N, N, N];
  const data = new Uint8Array(N * N * N);
  for (let z = 0; z < N; z++) {
    for (let y = 0; y < N; y++) {
      for (let x = 0; x < N; x++) {
        const r = Math.hypot(x - 12 - offset, y - 12, z - 12);
        data[(z * N + y) * N + x] = r < 7 ? 1 : z > 18 ? 2 : 0;
      }
    }
  }
  return createVolume({ shape, data, spacing: [0.5, 0.5, 0.5], labels: ELECTRODE_PHASES });
}

let session: ViewerSession;
let tmp: string;
let dataDir: string;
let projectDir: string;

async function writeCase(id: string, offset: number, seed: number): Promise<{ image: string; label: string }> {
  const labels = phaseLabels(offset);
  const image = path.join(dataDir, `${id}.nii.gz`);
  const label = path.join(dataDir, `${id}_label.nrrd`);
  await writeVolume(electrodePhantom(labels, { seed }), image);
  await writeVolume(labels, label); // NRRD keeps the phase names and colours
  return { image, label };
}

/** The browser globals the drop needs (this file is type-checked without the DOM library). */
interface DropGlobals {
  DataTransfer: new () => { items: { add(file: unknown): unknown } };
  File: new (parts: Uint8Array[], name: string, options: { type: string }) => unknown;
  DragEvent: new (type: string, init: { dataTransfer: unknown; bubbles: boolean; cancelable: boolean }) => unknown;
  document: { querySelector(selector: string): { dispatchEvent(event: unknown): boolean } | null };
  atob(data: string): string;
}

/** Drops files on the drop zone as a browser does: a DataTransfer with Files built in the page from the bytes. */
async function dropFiles(page: Page, files: { name: string; base64: string }[]): Promise<void> {
  await page.evaluate((list) => {
    const g = globalThis as unknown as DropGlobals;
    const transfer = new g.DataTransfer();
    for (const f of list) {
      const bytes = Uint8Array.from(g.atob(f.base64), (c) => c.charCodeAt(0));
      transfer.items.add(new g.File([bytes], f.name, { type: 'application/octet-stream' }));
    }
    const zone = g.document.querySelector('[data-testid="project-dropzone"]');
    if (!zone) throw new Error('no drop zone on the page');
    zone.dispatchEvent(new g.DragEvent('dragenter', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new g.DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, files);
}

const screenshot = (name: string) => session.page.screenshot({ path: path.join(ARTIFACTS, `project-${name}.png`), fullPage: true });

describe('project workspace in web mode (Chromium)', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set SEGSTATION_CHROMIUM)`);
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-e2e-project-'));
    dataDir = path.join(tmp, 'phantom');
    await fs.mkdir(dataDir);
    projectDir = path.join(tmp, 'project');
    await writeCase('case_a', 0, 101);
    await writeCase('case_b', 3, 102);
    // A truncated NIfTI: its gzip stream ends inside the header.
    const whole = await fs.readFile(path.join(dataDir, 'case_a.nii.gz'));
    await fs.writeFile(path.join(dataDir, 'truncated_scan.nii.gz'), whole.subarray(0, 64));
    // Cut after its header: validation finds it from the gzip trailer without decoding the voxels.
    await fs.writeFile(path.join(dataDir, 'half_scan.nii.gz'), whole.subarray(0, whole.length >> 1));
    // A label map with a negative value passes the header checks; only the import, which reads every voxel, refuses it.
    const negative = phaseLabels(0);
    const negativeData = Int16Array.from(negative.data as Uint8Array);
    negativeData[123] = -1;
    await writeVolume(createVolume({ ...negative, dtype: 'int16', data: negativeData }), path.join(dataDir, 'negative_label.nii.gz'));
    session = await openViewer('', { width: 1100, height: 800 });
    // A missing element fails the step that waits for it (with its line), instead of the whole test timing out.
    session.page.setDefaultTimeout(15_000);
    await session.page.getByTestId('tab-project').click();
    await session.page.getByTestId('workspace-project').waitFor();
  }, 180_000);

  afterAll(async () => {
    await session?.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('creates a project from the form, refusing a relative folder first', async () => {
    const { page } = session;
    await page.getByTestId('project-create-dir').fill('relative/folder');
    await page.getByTestId('project-create').click();
    await expect.poll(() => page.getByTestId('project-create-dir-issue').textContent()).toMatch(/absolute path/);
    await page.getByTestId('project-create-dir').fill(projectDir);
    await page.getByTestId('project-create-name').fill('E2E electrodes');
    await page.getByTestId('project-create-folds').fill('2');
    await page.getByTestId('project-create-seed').fill('7');
    await page.getByTestId('project-create').click();
    await expect.poll(() => page.getByTestId('project-current').textContent(), { timeout: 20_000 }).toContain('E2E electrodes');
    expect(existsSync(path.join(projectDir, 'catalogue.sqlite'))).toBe(true);
    // The split editor takes the folds and seed given at creation.
    expect(await page.getByTestId('project-split-folds').inputValue()).toBe('2');
    expect(await page.getByTestId('project-split-seed').inputValue()).toBe('7');
    await screenshot('created');
  }, 60_000);

  it('imports a case picked in the file browser, after per-file validation', async () => {
    const { page } = session;
    await page.getByTestId('project-browser-dir').fill(dataDir);
    await page.getByTestId('project-browser-go').click();
    // The browser opened afresh with the workspace (the previous step switched tabs): back to the data folder.
    await page.getByTestId('project-browser-dir').fill(dataDir);
    await page.getByTestId('project-browser-go').click();
    const entry = (name: string) => page.locator(`[data-testid="project-browser-entry"][data-name="${name}"]`);
    await entry('case_a.nii.gz').getByTestId('project-browser-add-image').click();
    await entry('case_a_label.nrrd').getByTestId('project-browser-add-label').click();
    expect(await page.getByTestId('project-import-label').inputValue()).toBe(path.join(dataDir, 'case_a_label.nrrd'));
    await page.getByTestId('project-validate').click();
    const rows = page.getByTestId('project-validation-row');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(2);
    expect(await page.getByTestId('project-validation').getAttribute('data-ok')).toBe('true');
    const texts = await rows.allTextContents();
    expect(texts[0]).toMatch(/case_a\.nii\.gz.*image.*nifti.*24×24×24 @ 0\.5×0\.5×0\.5.*float32.*ok/);
    expect(texts[1]).toMatch(/case_a_label\.nrrd.*label.*nrrd.*24×24×24.*uint8.*ok/);
    await screenshot('validated');
    await page.getByTestId('project-import-start').click();
    await page.locator('[data-testid="project-case-row"][data-case="case_a"]').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('project-import-outcome').textContent()).toBe('imported case case_a');
    expect(await page.getByTestId('project-import-progress').getAttribute('data-status')).toBe('completed');
    const { cases } = await session.engine.call('case.list', { projectDir });
    expect(cases.map((c) => [c.id, c.labelId !== null])).toEqual([['case_a', true]]);
  }, 90_000);

  it('imports a case dropped on the page (uploaded to the engine, then validated)', async () => {
    const { page } = session;
    const files = await Promise.all(
      ['case_b.nii.gz', 'case_b_label.nrrd'].map(async (name) => ({ name, base64: (await fs.readFile(path.join(dataDir, name))).toString('base64') })),
    );
    await dropFiles(page, files);
    await expect.poll(() => page.getByTestId('project-validation-row').count(), { timeout: 20_000 }).toBe(2);
    expect(await page.getByTestId('project-validation').getAttribute('data-ok')).toBe('true');
    const paths = await page.getByTestId('project-validation-row').locator('td.path').allTextContents();
    // Stored by the upload route inside the project, under the dropped names.
    expect(paths.map((p) => path.relative(projectDir, p).split(path.sep))).toEqual([
      ['uploads', expect.stringMatching(/^[0-9a-f]{16}$/), 'case_b.nii.gz'],
      ['uploads', expect.stringMatching(/^[0-9a-f]{16}$/), 'case_b_label.nrrd'],
    ]);
    expect(await page.getByTestId('project-import-case-id').inputValue()).toBe('case_b');
    await page.getByTestId('project-import-start').click();
    await page.locator('[data-testid="project-case-row"][data-case="case_b"]').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('project-case-row').count()).toBe(2);
    await screenshot('dropped');
  }, 90_000);

  it('refuses a truncated file with its name and the problem', async () => {
    const { page } = session;
    // Through the drop zone's file input (what clicking the zone opens).
    await page.getByTestId('project-drop-input').setInputFiles(path.join(dataDir, 'truncated_scan.nii.gz'));
    await expect.poll(() => page.getByTestId('project-error').textContent(), { timeout: 20_000 }).toMatch(/truncated_scan\.nii\.gz \(image\): .*(truncated|corrupt)/);
    expect(await page.getByTestId('project-validation').getAttribute('data-ok')).toBe('false');
    expect(await page.getByTestId('project-validation-row').getAttribute('data-ok')).toBe('false');
    await screenshot('rejected');
    // Nothing was imported, and the Import button waits for files that pass.
    expect(await page.getByTestId('project-import-start').isDisabled()).toBe(true);
    expect((await session.engine.call('case.list', { projectDir })).cases).toHaveLength(2);
  }, 60_000);

  it('refuses a file cut after its header at validation, naming the file', async () => {
    const { page } = session;
    await page.getByTestId('project-import-clear').click();
    await page.locator('[data-testid="project-browser-entry"][data-name="half_scan.nii.gz"]').getByTestId('project-browser-add-image').click();
    // The form survives a visit to another workspace.
    await page.getByTestId('tab-viewer').click();
    await page.getByTestId('tab-project').click();
    expect(await page.getByTestId('project-import-images').textContent()).toContain('half_scan.nii.gz');
    await page.getByTestId('project-validate').click();
    await expect.poll(() => page.getByTestId('project-validation').getAttribute('data-ok')).toBe('false');
    expect(await page.getByTestId('project-validation-row').textContent()).toMatch(/half_scan\.nii\.gz.*truncated/);
    expect(await page.getByTestId('project-import-start').isDisabled()).toBe(true);
  }, 60_000);

  it('shows the failed import job of a label the header checks cannot fault, naming the file', async () => {
    const { page } = session;
    await page.getByTestId('project-import-clear').click();
    // The browser opened afresh with the workspace (the previous step switched tabs): back to the data folder.
    await page.getByTestId('project-browser-dir').fill(dataDir);
    await page.getByTestId('project-browser-go').click();
    const entry = (name: string) => page.locator(`[data-testid="project-browser-entry"][data-name="${name}"]`);
    await entry('case_a.nii.gz').getByTestId('project-browser-add-image').click();
    await entry('negative_label.nii.gz').getByTestId('project-browser-add-label').click();
    await page.getByTestId('project-import-case-id').fill('case_negative');
    await page.getByTestId('project-validate').click();
    await expect.poll(() => page.getByTestId('project-validation').getAttribute('data-ok')).toBe('true');
    await page.getByTestId('project-import-start').click();
    const file = path.join(dataDir, 'negative_label.nii.gz');
    await expect
      .poll(() => page.getByTestId('project-error').textContent(), { timeout: 30_000 })
      .toContain(`import failed: label ${file}: has negative value -1; label values must be >= 0`);
    expect(await page.getByTestId('project-import-progress').getAttribute('data-status')).toBe('failed');
    expect((await session.engine.call('case.list', { projectDir })).cases).toHaveLength(2);
  }, 60_000);

  it('renames a class and changes its colour', async () => {
    const { page } = session;
    // The label maps brought the phases (NRRD keeps names and colours).
    await expect.poll(() => page.getByTestId('project-class-name-1').inputValue()).toBe('NMC');
    await page.getByTestId('project-class-name-1').fill('cathode');
    await page.getByTestId('project-class-color-1').fill('#ff2000');
    await page.getByTestId('project-classes-save').click();
    await expect.poll(() => page.getByTestId('project-notice').textContent(), { timeout: 20_000 }).toBe('classes saved');
    const stored = (await session.engine.call('project.open', { dir: projectDir })).classes.find((c) => c.value === 1);
    expect(stored).toMatchObject({ name: 'cathode', color: [255, 32, 0] });
    // An empty name is refused in the page, naming the class.
    await page.getByTestId('project-class-name-2').fill('  ');
    await page.getByTestId('project-classes-save').click();
    await expect.poll(() => page.getByTestId('project-error').textContent()).toBe('class 2 name: must not be empty');
    await page.getByTestId('project-class-name-2').fill('carbon-binder');
  }, 60_000);

  it('assigns folds, and says why a split with too many folds is refused', async () => {
    const { page } = session;
    await page.getByTestId('project-split-folds').fill('3');
    await page.getByTestId('project-split-assign').click();
    await expect.poll(() => page.getByTestId('project-error').textContent()).toMatch(/folds: 3 folds need at least 3 labelled training cases, the project has 2/);
    await page.getByTestId('project-split-folds').fill('2');
    await page.getByTestId('project-split-assign').click();
    const rows = page.getByTestId('project-split-row');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(2);
    const folds = await rows.evaluateAll((els) => els.map((e) => [e.getAttribute('data-case'), e.getAttribute('data-fold')]));
    expect(folds.map((f) => f[1]).sort()).toEqual(['0', '1']);
    const { split } = await session.engine.call('split.get', { projectDir });
    expect(split?.cases.map((c) => [c.caseId, String(c.fold)])).toEqual(folds);
    // The case table shows where each case validates.
    await expect.poll(() => page.locator('[data-testid="project-case-row"][data-case="case_a"]').textContent()).toMatch(/val in fold [01]/);
    // A hand edit that would leave a fold without a validation case is refused, and the split stays.
    await page.getByTestId('project-split-move-case_a').selectOption('test');
    await expect.poll(() => page.getByTestId('project-error').textContent()).toMatch(/moving 'case_a' would leave fold [01] without a validation case/);
    expect((await session.engine.call('split.get', { projectDir })).split?.cases.map((c) => [c.caseId, String(c.fold)])).toEqual(folds);
    expect(await page.getByTestId('project-split-move-case_a').inputValue()).toBe(folds.find((f) => f[0] === 'case_a')?.[1]);
  }, 60_000);

  it('adds a domain', async () => {
    const { page } = session;
    await page.getByTestId('project-domain-name').fill('xct-lab');
    await page.getByTestId('project-domain-normalization').selectOption('zscore');
    await page.getByTestId('project-domain-add').click();
    await page.locator('[data-testid="project-domain-row"][data-domain="xct-lab"]').waitFor({ timeout: 20_000 });
    expect((await session.engine.call('domain.list', { projectDir })).domains.find((d) => d.name === 'xct-lab')?.normalization).toBe('zscore');
  }, 60_000);

  it('computes intensity statistics and draws the histogram, linear and log', async () => {
    const { page } = session;
    await page.getByTestId('project-stats-run').click();
    const card = page.locator('[data-testid="project-stats-domain"][data-domain="default"]');
    await card.waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('project-stats-progress').getAttribute('data-status')).toBe('completed');
    const histogram = card.getByTestId('project-histogram');
    const heights = () => histogram.locator('rect.bar').evaluateAll((els) => els.map((e) => Number(e.getAttribute('height'))));
    const linear = await heights();
    expect(linear.filter((h) => h > 0).length).toBeGreaterThan(10);
    // The tallest bar fills the plot; the bars' counts add up to the domain's voxels.
    expect(Math.max(...linear)).toBeCloseTo(90, 5);
    const counts = await histogram.locator('rect.bar').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count'))));
    const [stats] = (await session.engine.call('stats.get', { projectDir })).statistics.filter((s) => s.domain === 'default');
    expect(counts.reduce((a, b) => a + b, 0)).toBe(stats.histogram.counts.reduce((a, b) => a + b, 0));
    await page.getByTestId('project-stats-log').check();
    await expect.poll(() => histogram.getAttribute('data-scale')).toBe('log');
    const log = await heights();
    // Log counts lift the small bars: every non-empty bar is at least as tall, and the total grows.
    linear.forEach((h, i) => expect(log[i]).toBeGreaterThanOrEqual(h - 1e-9));
    expect(log.reduce((a, b) => a + b, 0)).toBeGreaterThan(linear.reduce((a, b) => a + b, 0));
    await card.screenshot({ path: path.join(ARTIFACTS, 'project-histogram.png') });
    await screenshot('statistics');
    expect(session.errors.filter((e) => !/HTTP 4\d\d/.test(e))).toEqual([]);
  }, 90_000);
});
