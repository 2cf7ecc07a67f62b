// The acceptance e2e of issue 7: the whole workstation flow driven through the UI only, in Debian's Chromium against
// web mode. Input files are made on disk (three small electrode phantom cases, as `npm run demo` makes them) and
// results are read back from disk and pixels to check them; every other step is clicks and typing. Each step leaves a
// screenshot out/test-artifacts/e2e/workstation-<nn>-<step>.png and its time in workstation-steps.json.
//
// Flow: create a project, import the cases (file browser, per-file validation), split, statistics; show a case in the
// viewer; train with the tiny preset, the loss curve fills, cancel, resume the run, pause it and drop the engine's web
// socket (the same job comes back, paused where it was), resume and drop it again while it trains (the job carries on); predict with TTA uncertainty, the uncertainty heat map changes the slice
// view's pixels; phase-boundary surfaces in their pair colours, then coloured by boundary error; evaluate and export a
// PDF report (with the viewer's 3D and slice figures) whose first page, rasterised by pdftoppm, is not blank.
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasSharedData } from '../helpers/shared-data.ts';
import { decodePng } from '../unit/report/decodePng.ts';
import { ARTIFACTS, CHROMIUM, capture, countChanged, countNear, countNotBackground, settle, waitForVolumeShown } from './helpers/viewer.ts';
import {
  ELECTRODE_SEGMENTATION,
  inkFraction,
  need,
  openWorkstation,
  recordAttribute,
  recordedAttribute,
  showWorkspace,
  waitForAttribute,
  writePhantomCases,
  type PhantomCaseFiles,
  type WorkstationSession,
} from './helpers/workstation.ts';

/** Three cases of 40x40x16 voxels: the tiny 2.5D U-Net trains an epoch on them in a few seconds on cpu. */
const CASES = 3;
const SHAPE: [number, number, number] = [40, 40, 16];
/** Epochs of the run: enough that it still trains while it is cancelled, resumed and its socket dropped. */
const EPOCHS = 8;
const VIEW3D_BACKGROUND = [20, 23, 28];

describe.skipIf(!hasSharedData() || !existsSync(ELECTRODE_SEGMENTATION))('workstation flow in web mode (Chromium, SwiftShader)', () => {
  let session: WorkstationSession;
  let tmp: string;
  let files: PhantomCaseFiles[];
  let projectDir: string;
  let runId = '';

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set SEGSTATION_CHROMIUM)`);
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-workstation-'));
    files = await writePhantomCases(path.join(tmp, 'phantom'), CASES, SHAPE);
    projectDir = path.join(tmp, 'project');
    session = await openWorkstation('shade=0&surfaceVoxels=200000&boundaryVoxels=300000');
    // A missing element fails the step that waits for it, with its line, instead of the whole test timing out.
    session.page.setDefaultTimeout(20_000);
  }, 180_000);

  afterAll(async () => {
    // Every page error (the final check lets through only those the socket drop causes), for whoever reads the artefacts.
    if (session) await fs.writeFile(path.join(ARTIFACTS, 'workstation-page-errors.json'), `${JSON.stringify(session.errors, null, 2)}\n`);
    await session?.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('shows every workspace tab', async () => {
    await session.step('shell', async () => {
      for (const id of ['project', 'training', 'results', 'boundaries', 'report', 'viewer'] as const) await showWorkspace(session.page, id);
    });
  }, 30_000);

  it('creates a project, imports the phantom cases with their labels, splits them and computes statistics', async () => {
    const { page } = session;
    await session.step('project-create', async () => {
      await showWorkspace(page, 'project');
      await need(page, 'project-create-dir', 'project');
      await page.getByTestId('project-create-dir').fill(projectDir);
      await page.getByTestId('project-create-name').fill('workstation e2e');
      await page.getByTestId('project-create-folds').fill('2');
      await page.getByTestId('project-create-seed').fill('42');
      await page.getByTestId('project-create').click();
      await expect.poll(() => page.getByTestId('project-current').textContent(), { timeout: 30_000 }).toContain('workstation e2e');
      expect(existsSync(path.join(projectDir, 'catalogue.sqlite'))).toBe(true);
    });
    await session.step('project-import', async () => {
      await page.getByTestId('project-browser-dir').fill(path.dirname(files[0].image));
      await page.getByTestId('project-browser-go').click();
      const entry = (name: string) => page.locator(`[data-testid="project-browser-entry"][data-name="${name}"]`);
      for (const f of files) {
        await entry(path.basename(f.image)).getByTestId('project-browser-add-image').click();
        await entry(path.basename(f.label)).getByTestId('project-browser-add-label').click();
        await page.getByTestId('project-import-case-id').fill(f.id);
        await page.getByTestId('project-import-domain').fill('xct-phantom');
        await page.getByTestId('project-validate').click();
        await waitForAttribute(page, 'project-validation', 'data-ok', { equals: 'true' }, 30_000);
        expect(await page.getByTestId('project-validation-row').count()).toBe(2);
        await page.getByTestId('project-import-start').click();
        await page.locator(`[data-testid="project-case-row"][data-case="${f.id}"]`).waitFor({ timeout: 60_000 });
      }
      expect(await page.getByTestId('project-case-row').count()).toBe(CASES);
    });
    await session.step('project-split-statistics', async () => {
      await page.getByTestId('project-split-folds').fill('2');
      await page.getByTestId('project-split-assign').click();
      await expect.poll(() => page.getByTestId('project-split-row').count(), { timeout: 20_000 }).toBe(CASES);
      await page.getByTestId('project-stats-run').click();
      const card = page.locator('[data-testid="project-stats-domain"][data-domain="xct-phantom"]');
      await card.waitFor({ timeout: 60_000 });
      expect(await card.getByTestId('project-histogram').locator('rect.bar').count()).toBeGreaterThan(10);
    });
  }, 150_000);

  it('shows a case of the project in the viewer', async () => {
    const { page } = session;
    await session.step('viewer', async () => {
      await showWorkspace(page, 'viewer');
      const caseButton = page.getByTestId('case-list').getByRole('button', { name: files[0].id });
      await caseButton.waitFor({ timeout: 30_000 });
      await caseButton.click();
      await waitForVolumeShown(page, true);
      await settle(page);
      for (const view of ['axial', '3d'] as const) {
        const pixels = await capture(page, view);
        const drawn = countNotBackground(pixels, view === '3d' ? VIEW3D_BACKGROUND : [0, 0, 0]);
        expect(drawn, `${view} view`).toBeGreaterThan(pixels.width * pixels.height * 0.05);
      }
    });
  }, 90_000);

  it('trains with the tiny preset: the loss curve receives points, cancel, resume, and a socket drop loses nothing', async () => {
    const { page } = session;
    const lossPoints = async () => Number(await page.getByTestId('training-chart-loss').getAttribute('data-points'));
    await session.step('training-start', async () => {
      await showWorkspace(page, 'training');
      await need(page, 'training-preset', 'training');
      await page.locator('[data-testid="training-preset"] option[value="tiny-2.5d"]').waitFor({ state: 'attached' });
      await page.getByTestId('training-preset').selectOption('tiny-2.5d');
      await expect.poll(() => page.getByTestId('training-input-network.filters').inputValue()).toBe('4');
      await page.getByTestId('training-input-epochs').fill(String(EPOCHS));
      await expect.poll(() => page.getByTestId('training-start').isDisabled(), { timeout: 20_000 }).toBe(false);
      await page.getByTestId('training-start').click();
      runId = await waitForAttribute(page, 'training-status', 'data-run', { notEquals: '' }, 60_000);
    });
    await session.step('training-loss-curve', async () => {
      // The curve fills while the run trains: a first point, then more.
      const first = Number(await waitForAttribute(page, 'training-chart-loss', 'data-points', { min: 1 }, 90_000));
      await waitForAttribute(page, 'training-chart-loss', 'data-points', { min: first + 2 }, 90_000);
      expect(await page.getByTestId('training-status').getAttribute('data-status')).toBe('running');
    });
    await session.step('training-cancel', async () => {
      // A validated epoch means a checkpoint to resume from.
      await waitForAttribute(page, 'training-chart-dice', 'data-points', { min: 1 }, 90_000);
      await page.getByTestId('training-cancel').click();
      await waitForAttribute(page, `training-run-${runId}`, 'data-status', { equals: 'cancelled' }, 60_000);
    });
    let jobId = '';
    const row = () => page.getByTestId(`job-${jobId}`);
    const status = () => page.getByTestId('training-status');
    /** Drops the page's connections to the engine; returns once the page has reconnected by itself (the n-th time). */
    const dropAndReconnect = async (n: number) => {
      const socketsBefore = session.socketsOpened();
      await recordAttribute(page, 'jobs-panel', 'data-connected');
      expect(session.server.dropConnections()).toBeGreaterThan(0);
      // The page notices (the jobs strip goes "reconnecting…"), opens a new socket and re-synchronises its jobs.
      await expect.poll(() => session.socketsOpened(), { timeout: 30_000 }).toBeGreaterThan(socketsBefore);
      await page.getByTestId('jobs-connection').filter({ hasText: `reconnected (${n})` }).waitFor({ timeout: 30_000 });
      expect(await recordedAttribute(page, 'jobs-panel', 'data-connected')).toContain('false');
      expect(await page.getByTestId('jobs-panel').getAttribute('data-connected')).toBe('true');
      // No job lost or doubled by the re-synchronisation: the cancelled train job and the resumed one.
      expect(await page.locator('[data-testid^="job-"][data-kind="train"]').count()).toBe(2);
    };
    await session.step('training-resume', async () => {
      const cancelledAt = await lossPoints();
      await page.getByTestId(`training-resume-run-${runId}`).click();
      await waitForAttribute(page, 'training-status', 'data-status', { equals: 'running' }, 60_000);
      expect(await status().getAttribute('data-run')).toBe(runId);
      // The resumed run's curve carries on from its history (more points than at the cancel, none lost).
      await waitForAttribute(page, 'training-chart-loss', 'data-points', { min: cancelledAt + 1 }, 90_000);
      await page.getByTestId('jobs-toggle').click();
      // The jobs strip lists unfinished jobs first, newest first: the resumed run's job.
      const first = page.locator('[data-testid^="job-"][data-kind="train"]').first();
      jobId = ((await first.getAttribute('data-testid')) ?? '').replace(/^job-/, '');
      expect(await first.getAttribute('data-status')).toMatch(/running|completed/);
    });
    await session.step('training-pause', async () => {
      await page.getByTestId('training-pause').click();
      await waitForAttribute(page, `job-${jobId}`, 'data-status', { equals: 'paused' }, 30_000);
      await waitForAttribute(page, 'training-status', 'data-held', { equals: 'true' }, 60_000);
    });
    await session.step('training-socket-drop-paused', async () => {
      const done = await row().getAttribute('data-done');
      const points = await lossPoints();
      await dropAndReconnect(1);
      // The same job in the same state: paused where it was, its run and curve as they were.
      expect(await row().getAttribute('data-status')).toBe('paused');
      expect(await row().getAttribute('data-done')).toBe(done);
      expect(await status().getAttribute('data-run')).toBe(runId);
      expect(await status().getAttribute('data-status')).toBe('paused');
      expect(await status().getAttribute('data-held')).toBe('true');
      expect(await lossPoints()).toBe(points);
    });
    await session.step('training-socket-drop-running', async () => {
      // Resumed over the new socket, the job's progress and the curve move on.
      const done = Number(await row().getAttribute('data-done'));
      const points = await lossPoints();
      await page.getByTestId('training-resume').click();
      await waitForAttribute(page, `job-${jobId}`, 'data-done', { min: done + 1 }, 60_000);
      await waitForAttribute(page, 'training-chart-loss', 'data-points', { min: points + 1 }, 60_000);
      // Dropped while it trains: the job carries on in the engine and the page catches up with it.
      const before = Number(await row().getAttribute('data-done'));
      await dropAndReconnect(2);
      expect(await row().getAttribute('data-status')).toMatch(/running|completed/);
      // Further on than at the drop, or finished meanwhile (a fast machine may train the last steps by then).
      await expect
        .poll(async () => Number(await row().getAttribute('data-done')) > before || (await row().getAttribute('data-status')) === 'completed', { timeout: 60_000 })
        .toBe(true);
      expect(await status().getAttribute('data-run')).toBe(runId);
    });
    await session.step('training-completed', async () => {
      await waitForAttribute(page, `training-run-${runId}`, 'data-status', { equals: 'completed' }, 120_000);
      await waitForAttribute(page, `job-${jobId}`, 'data-status', { equals: 'completed' }, 10_000);
      const checkpoints = path.join(projectDir, 'runs', runId, 'checkpoints');
      expect(existsSync(checkpoints), checkpoints).toBe(true);
    });
  }, 300_000);

  it('predicts with uncertainty from the UI and the heat map changes the slice view', async () => {
    const { page } = session;
    await session.step('results-inference', async () => {
      await showWorkspace(page, 'results');
      await need(page, 'results-run', 'results');
      await page.locator(`[data-testid="results-run"] option[value="${runId}"]`).waitFor({ state: 'attached', timeout: 30_000 });
      await page.getByTestId('results-run').selectOption(runId);
      await page.getByTestId('results-scope').selectOption('project');
      await page.getByTestId('results-uncertainty').selectOption('tta');
      await page.getByTestId('results-start').click();
      const status = await waitForAttribute(page, 'results-job', 'data-status', { oneOf: ['completed', 'failed', 'cancelled'] }, 180_000);
      expect(status, (await page.getByTestId('results-job').textContent()) ?? '').toBe('completed');
      await expect.poll(() => page.getByTestId('results-case-row').count(), { timeout: 20_000 }).toBe(CASES);
      for (const f of files) expect(existsSync(path.join(projectDir, 'runs', runId, 'predictions', f.id))).toBe(true);
    });
    await session.step('results-uncertainty-overlay', async () => {
      const top = page.getByTestId('results-case-row').first();
      const caseId = await top.getAttribute('data-case-id');
      await top.click();
      await expect.poll(() => page.getByTestId('results-shown-case').textContent(), { timeout: 30_000 }).toBe(`case ${caseId}`);
      await waitForAttribute(page, 'results-view-pred', 'data-shown-index', { min: 0 }, 30_000);
      await settle(page);
      const before = await capture(page, 'results-pred');
      expect(countNotBackground(before, [0, 0, 0])).toBeGreaterThan(before.width * before.height * 0.05);
      await page.getByTestId('results-overlay-threshold').fill('0.05');
      await page.getByTestId('results-overlay-toggle').check();
      await settle(page);
      const after = await capture(page, 'results-pred');
      expect(countChanged(before, after), 'pixels the uncertainty heat map changed').toBeGreaterThan(before.width * before.height * 0.01);
    });
  }, 240_000);

  it('shows the phase-boundary surfaces in their pair colours, and the boundary error as colour on them', async () => {
    const { page } = session;
    const ready = async () => {
      await page.getByTestId('boundaries-status').filter({ hasText: /^\s*ready\s*$/ }).or(page.getByTestId('boundaries-error')).waitFor({ timeout: 90_000 });
      expect(await page.getByTestId('boundaries-error').count(), (await page.getByTestId('boundaries-error').textContent({ timeout: 100 }).catch(() => '')) ?? '').toBe(0);
      await settle(page);
    };
    /** The legend: each pair's key ('1-2') and colour. */
    const legend = () =>
      page.$$eval('[data-testid^="boundaries-pair-"][data-color]', (els) =>
        els.map((r) => ({ key: (r.getAttribute('data-testid') ?? '').replace('boundaries-pair-', ''), color: (r.getAttribute('data-color') ?? '').split(',').map(Number) })),
      );
    const pairPixels = (pixels: Awaited<ReturnType<typeof capture>>, rows: Awaited<ReturnType<typeof legend>>) => rows.map((r) => countNear(pixels, r.color, 6));
    let byPair: Awaited<ReturnType<typeof capture>>;
    await session.step('boundaries-prediction', async () => {
      await showWorkspace(page, 'boundaries');
      await need(page, 'boundaries-source', 'boundaries');
      const source = `pred:${runId}/${files[0].id}`;
      await page.locator(`[data-testid="boundaries-source"] option[value="${source}"]`).waitFor({ state: 'attached', timeout: 30_000 });
      await page.getByTestId('boundaries-source').selectOption(source);
      await ready();
      const rows = await legend();
      expect(rows.length).toBeGreaterThanOrEqual(1);
      byPair = await capture(page, 'boundaries-3d');
      const drawn = countNotBackground(byPair, VIEW3D_BACKGROUND);
      expect(drawn, 'surface pixels').toBeGreaterThan(byPair.width * byPair.height * 0.02);
      // Flat colours (shading off): the drawn pixels are the pairs' legend colours.
      const perPair = pairPixels(byPair, rows);
      expect(Math.max(...perPair), JSON.stringify(rows)).toBeGreaterThan(200);
      expect(perPair.reduce((a, b) => a + b, 0)).toBeGreaterThan(drawn * 0.8);
    });
    await session.step('boundaries-error-colour', async () => {
      // The prediction has ground truth (its case's label map): distance to the true boundary as colour.
      await page.getByTestId('boundaries-color-error').check();
      await page.getByTestId('boundaries-colorbar').waitFor();
      await settle(page);
      const rows = await legend();
      const byError = await capture(page, 'boundaries-3d');
      expect(countNotBackground(byError, VIEW3D_BACKGROUND)).toBeGreaterThan(byError.width * byError.height * 0.02);
      const before = pairPixels(byPair, rows).reduce((a, b) => a + b, 0);
      expect(pairPixels(byError, rows).reduce((a, b) => a + b, 0), 'pair colours left').toBeLessThan(before * 0.1);
      expect(countChanged(byPair, byError)).toBeGreaterThan(before * 0.5);
    });
    await session.step('boundaries-truth', async () => {
      // The case's own label map has all three phases: three interface surfaces, each in its colour.
      await page.getByTestId('boundaries-color-pair').check();
      await page.getByTestId('boundaries-source').selectOption(`case:${files[0].id}`);
      await expect.poll(async () => (await legend()).length, { timeout: 60_000 }).toBe(3);
      await ready();
      const rows = await legend();
      const pixels = await capture(page, 'boundaries-3d');
      const perPair = pairPixels(pixels, rows);
      for (const [i, r] of rows.entries()) expect(perPair[i], `pair ${r.key}`).toBeGreaterThan(100);
    });
  }, 200_000);

  it('evaluates the run and exports a PDF report that renders', async () => {
    const { page } = session;
    await session.step('report-evaluate', async () => {
      await showWorkspace(page, 'report');
      await need(page, 'report-run', 'report');
      await expect.poll(() => page.locator(`[data-testid="report-run"] option[value="${runId}"]`).count(), { timeout: 30_000 }).toBe(1);
      await page.getByTestId('report-run').selectOption(runId);
      await page.getByTestId('report-evaluate').click();
      await page.locator('[data-testid="report-evaluate-progress"][data-status="completed"]').waitFor({ timeout: 90_000 });
      await page.getByTestId('report-class-table').waitFor({ timeout: 20_000 });
    });
    await session.step('report-pdf', async () => {
      // The viewer step drew the 3D view: the report carries it.
      await expect.poll(() => page.getByTestId('report-figures').getAttribute('data-has-3d')).toBe('true');
      await page.getByTestId('report-format').selectOption('pdf');
      await page.getByTestId('report-export').click();
      await page.locator('[data-testid="report-export-progress"][data-status="completed"]').waitFor({ timeout: 120_000 });
      const pdf = ((await page.getByTestId('report-export-path').textContent()) ?? '').trim();
      expect(pdf.endsWith('.pdf'), pdf).toBe(true);
      expect(readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
      // The viewer's 3D view and its three slice views went into the report.
      expect(await page.getByTestId('report-export-note').textContent()).toMatch(/4 viewer figure/);
      const prefix = path.join(tmp, 'report-page');
      execFileSync('pdftoppm', ['-png', '-r', '50', '-f', '1', '-l', '1', '-singlefile', pdf, prefix]);
      await fs.copyFile(`${prefix}.png`, path.join(ARTIFACTS, 'workstation-report-page1.png'));
      const img = decodePng(new Uint8Array(readFileSync(`${prefix}.png`)));
      expect(img.width).toBeGreaterThan(300);
      expect(inkFraction(img.pixels, img.channels), 'first PDF page is blank').toBeGreaterThan(0.01);
    });
    // Only what the socket drop itself causes (requests in flight on the dropped socket) may show as errors.
    expect(session.errors.filter((e) => !/connection to the engine was lost|ERR_CONNECTION|net::/.test(e))).toEqual([]);
  }, 240_000);
});
