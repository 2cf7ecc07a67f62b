// End to end, the metrics & report workspace in web mode (Chromium, SwiftShader): a tiny project is trained (a real
// 'train' job), the jobs panel keeps that job across a WebSocket drop, predictions are made through the engine, then
// through the UI: an evaluation with its progress, the per-class / per-case tables and the cohort plot filled, a case
// opened in the viewer so the 3D view exists, and PDF and HTML reports exported with the viewer's figures. The PDF's
// first page is rasterised with poppler's pdftoppm and must not be blank.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { makeTinyProject } from '../fixtures/training/tiny-project.ts';
import { decodePng } from '../unit/report/decodePng.ts';
import { ARTIFACTS, CHROMIUM, openViewer, settle, waitForVolumeShown, type ViewerSession } from './helpers/viewer.ts';
import { REPO } from './helpers/viewer.ts';

const RUN = 'e2e-run';
const PDFTOPPM = '/usr/bin/pdftoppm';

/** resources/configs/tiny-2.5d.yaml with more epochs, so the job is still running while the socket is down. */
function tinyConfig(): Record<string, unknown> {
  const config = parse(readFileSync(path.join(REPO, 'resources/configs/tiny-2.5d.yaml'), 'utf8')) as Record<string, unknown>;
  return { ...config, epochs: 8, stepsPerEpoch: 4 };
}

/** Standard deviation of a decoded PNG's first channel: a blank page has ~0. */
function pixelStd(png: { pixels: Uint8Array; channels: number }): number {
  let sum = 0;
  let sq = 0;
  let n = 0;
  for (let i = 0; i < png.pixels.length; i += png.channels) {
    sum += png.pixels[i];
    sq += png.pixels[i] ** 2;
    n++;
  }
  const mean = sum / n;
  return Math.sqrt(Math.max(0, sq / n - mean * mean));
}

/** The path the last export wrote, '' before one. */
async function exportedPath(page: Page): Promise<string> {
  const shown = page.getByTestId('report-export-path');
  return (await shown.count()) ? ((await shown.textContent()) ?? '').trim() : '';
}

async function attr(page: Page, testId: string, name: string): Promise<string | null> {
  return page.getByTestId(testId).getAttribute(name);
}

describe('metrics & report workspace in web mode (Chromium)', () => {
  let session: ViewerSession;
  let project: string;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'segstation-e2e-report-'));
  /** The page's current engine socket (through playwright's WebSocket routing), and a gate that holds reconnects. */
  let socket: WebSocketRoute | null = null;
  let gate: Promise<void> | null = null;
  let openGate: () => void = () => undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set SEGSTATION_CHROMIUM)`);
    project = await makeTinyProject({ cases: 3, shape: [32, 32, 8] });
    session = await openViewer('shade=0&surfaceVoxels=200000', { width: 1100, height: 720 });
    // Every engine socket goes through this route, so the test can drop it (both ends close) and hold the reconnect.
    await session.page.routeWebSocket(/\/ws/, async (ws) => {
      if (gate) await gate;
      ws.connectToServer();
      socket = ws;
    });
    await session.page.reload();
    await session.page.waitForFunction(() => (globalThis as { __segstation?: unknown }).__segstation !== undefined);
    await session.page.getByTestId('project-dir').fill(project);
    await session.page.getByTestId('open-project').click();
    await session.page.getByTestId('case-list').getByRole('button', { name: 'case0' }).waitFor();
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    if (project) rmSync(path.dirname(project), { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  });

  const screenshot = (name: string) => session.page.screenshot({ path: path.join(ARTIFACTS, `report-${name}.png`) });

  it('the jobs panel shows a training job, says "reconnecting…" while the socket is down and the same job after', async () => {
    const { page, engine } = session;
    const job = await engine.call('job.start', { kind: 'train', params: { projectDir: project, config: tinyConfig(), runId: RUN } });
    await page.getByTestId('jobs-toggle').click();
    const row = page.getByTestId(`job-${job.jobId}`);
    await row.waitFor();
    expect(await row.getAttribute('data-kind')).toBe('train');
    await expect.poll(async () => Number(await row.getAttribute('data-done')), { timeout: 90_000, interval: 200 }).toBeGreaterThanOrEqual(1);
    expect(await row.getAttribute('data-status')).toBe('running');
    await expect.poll(() => page.getByTestId(`job-pause-${job.jobId}`).count()).toBe(1); // train is pausable
    // Pause and resume from the panel.
    await page.getByTestId(`job-pause-${job.jobId}`).click();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 60_000, interval: 200 }).toBe('paused');
    await page.getByTestId(`job-resume-${job.jobId}`).click();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 30_000, interval: 200 }).toBe('running');
    const doneBefore = Number(await row.getAttribute('data-done'));

    // Drop the socket (page and server ends close) and hold the reconnect.
    gate = new Promise((resolve) => (openGate = resolve));
    expect(socket).not.toBeNull();
    await socket!.close({ code: 4000, reason: 'test drops the connection' });
    await page.getByTestId('jobs-connection').filter({ hasText: 'reconnecting…' }).waitFor({ timeout: 10_000 });
    expect(await attr(page, 'jobs-panel', 'data-connected')).toBe('false');
    await screenshot('reconnecting');
    // The job goes on in the engine while the page is away.
    await expect.poll(() => engine.jobs.get(job.jobId).done, { timeout: 60_000, interval: 200 }).toBeGreaterThan(doneBefore);
    expect(engine.jobs.get(job.jobId).status).toBe('running');
    const doneWhileAway = engine.jobs.get(job.jobId).done;

    gate = null;
    openGate();
    await page.getByTestId('jobs-connection').filter({ hasText: 'reconnected' }).waitFor({ timeout: 20_000 });
    expect(await attr(page, 'jobs-panel', 'data-connected')).toBe('true');
    // The same job, caught up with what happened while away, and still moving (or done by now).
    await expect
      .poll(async () => Number(await row.getAttribute('data-done')) > doneWhileAway || (await row.getAttribute('data-status')) === 'completed', { timeout: 60_000, interval: 200 })
      .toBe(true);
    expect(await page.locator('[data-testid^="job-"][data-kind="train"]').count()).toBe(1);
    await screenshot('reconnected');
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 120_000, interval: 250 }).toBe('completed');

    // A job that fails shows its error as text in the panel.
    const failing = await engine.call('job.start', { kind: 'evaluate', params: { projectDir: project, runId: 'no-such-run' } });
    const error = page.getByTestId(`job-error-${failing.jobId}`);
    await error.waitFor({ timeout: 60_000 });
    expect(await error.textContent()).toMatch(/no-such-run|prediction/i);

    // Predictions of every case with the trained run (prepared through the engine; not what this test is about).
    const predict = await engine.call('job.start', { kind: 'predict', params: { project, runId: RUN } });
    await expect.poll(() => engine.jobs.get(predict.jobId).status, { timeout: 120_000, interval: 250 }).toMatch(/completed|failed|cancelled/);
    expect(engine.jobs.get(predict.jobId)).toMatchObject({ status: 'completed' });
  }, 240_000);

  it('evaluates the run from the metrics panel and fills the per-class and per-case tables and the cohort plot', async () => {
    const { page } = session;
    await page.getByTestId('tab-report').click();
    await page.getByTestId('report-run').waitFor();
    await expect.poll(() => page.getByTestId('report-run').inputValue()).toBe(RUN);
    await page.getByTestId('report-evaluate').click();
    await page.locator('[data-testid="report-evaluate-progress"][data-status="completed"]').waitFor({ timeout: 90_000 });
    await page.getByTestId('report-class-table').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('report-metric').inputValue()).toBe('dice');

    // Per class: the two foreground classes, finite Dice in [0, 1], a CI around the mean.
    for (const cls of [1, 2]) {
      const row = page.getByTestId(`report-class-row-${cls}`);
      const mean = Number(await row.locator('[data-col="mean"]').getAttribute('data-value'));
      const low = Number(await row.locator('[data-col="ci"]').getAttribute('data-low'));
      const high = Number(await row.locator('[data-col="ci"]').getAttribute('data-high'));
      expect(Number.isFinite(mean) && mean >= 0 && mean <= 1, `class ${cls} mean Dice ${mean}`).toBe(true);
      expect(low).toBeLessThanOrEqual(mean + 1e-9);
      expect(high).toBeGreaterThanOrEqual(mean - 1e-9);
      expect(Number(await row.locator('td').nth(1).textContent())).toBe(3);
    }

    // Per case: 3 cases x (background, 2 classes) Dice, all finite (every class is in every case's truth).
    const table = page.getByTestId('report-case-table');
    expect(await table.locator('tbody tr').count()).toBe(3);
    const cells = table.locator('td.cell');
    const values = (await cells.evaluateAll((els) => els.map((e) => e.getAttribute('data-value')))).map(Number);
    expect(values.length).toBeGreaterThanOrEqual(6);
    expect(values.every((v) => Number.isFinite(v) && v >= 0 && v <= 1), values.join(', ')).toBe(true);
    // colour-scaled: the best and worst cells differ in colour
    const colours = new Set(await cells.evaluateAll((els) => els.map((e) => e.getAttribute('style'))));
    if (Math.max(...values) > Math.min(...values)) expect(colours.size).toBeGreaterThan(1);

    // Sorting by class 1, descending on first click for Dice.
    await page.getByTestId('report-case-sort-1').click();
    const sorted = (await table.locator('td.cell[data-class="1"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value')))));
    expect(sorted).toEqual([...sorted].sort((a, b) => b - a));

    // Cohort plot: one point per finite case value of each class.
    const plot = page.getByTestId('report-cohort');
    expect(await plot.locator('g.group[data-class="1"] circle.point').count()).toBe(3);
    expect(await plot.locator('rect.box').count()).toBeGreaterThanOrEqual(2);
    await screenshot('metrics');

    // Another metric: the tables follow.
    await page.getByTestId('report-metric').selectOption('hd95');
    await expect.poll(() => page.locator('h2').filter({ hasText: 'Per case · hd95' }).count()).toBe(1);
    expect(await table.locator('tbody tr').count()).toBe(3);
    await page.getByTestId('report-metric').selectOption('dice');
  }, 180_000);

  it('exports PDF and HTML reports with the 3D view and slice views captured in the viewer', async () => {
    const { page, server } = session;
    // Nothing shown in the viewer yet: the panel says so, and a report goes without a 3D capture.
    await expect.poll(() => attr(page, 'report-figures', 'data-has-3d')).toBe('false');
    expect(await page.getByTestId('report-figures').textContent()).toMatch(/nothing drawn|never opened/);
    await page.getByTestId('report-format').selectOption('html');
    await page.getByTestId('report-export').click();
    await expect.poll(async () => (await exportedPath(page)).endsWith('.html'), { timeout: 60_000, interval: 250 }).toBe(true);
    expect(await page.getByTestId('report-export-note').textContent()).toMatch(/without a 3D capture|without it/);
    const bare = readFileSync((await page.getByTestId('report-export-path').textContent())!.trim(), 'utf8');
    expect(bare).not.toContain('alt="viewer snapshot"');
    expect(bare).toContain('<section id="slices">');

    await page.getByTestId('tab-viewer').click();
    await page.getByTestId('case-list').getByRole('button', { name: 'case0' }).click();
    await waitForVolumeShown(page, true);
    await settle(page);
    await page.getByTestId('tab-report').click();
    await expect.poll(() => attr(page, 'report-figures', 'data-has-3d')).toBe('true');

    // PDF
    await page.getByTestId('report-format').selectOption('pdf');
    await page.getByTestId('report-export').click();
    await page.locator('[data-testid="report-export-progress"][data-status="completed"]').waitFor({ timeout: 120_000 });
    const pdfFile = (await page.getByTestId('report-export-path').textContent())!.trim();
    expect(pdfFile.startsWith(path.join(project, 'reports'))).toBe(true);
    expect(readFileSync(pdfFile).subarray(0, 5).toString()).toBe('%PDF-');
    expect(await page.getByTestId('report-export-note').textContent()).toMatch(/4 viewer figure/);
    await screenshot('export');
    const prefix = path.join(ARTIFACTS, 'report-pdf-page1');
    execFileSync(PDFTOPPM, ['-png', '-r', '50', '-f', '1', '-l', '1', '-singlefile', pdfFile, prefix]);
    const firstPage = decodePng(new Uint8Array(readFileSync(`${prefix}.png`)));
    expect(firstPage.width).toBeGreaterThan(300);
    expect(pixelStd(firstPage), 'first PDF page is blank').toBeGreaterThan(10);
    // The link serves the same file through the token-checked route.
    const href = await page.getByTestId('report-export-link').getAttribute('href');
    expect(href).toMatch(/^\/data\/reports\/report-e2e-run-\d{8}-\d{6}\.pdf\?token=/);
    const served = await fetch(`${server.url}${href}`);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(readFileSync(pdfFile))).toBe(true);
    expect((await fetch(`${server.url}${href!.split('?')[0]}`)).status).toBe(401);

    // HTML: the viewer's 3D snapshot and slice views are embedded as PNG data.
    await page.getByTestId('report-format').selectOption('html');
    await page.getByTestId('report-export').click();
    await expect.poll(async () => (await exportedPath(page)).endsWith('.html'), { timeout: 60_000, interval: 250 }).toBe(true);
    const html = readFileSync((await page.getByTestId('report-export-path').textContent())!.trim(), 'utf8');
    const images = new Map([...html.matchAll(/<img alt="([^"]*)" src="data:image\/png;base64,([^"]+)"/g)].map((m) => [m[1], decodePng(new Uint8Array(Buffer.from(m[2], 'base64')))]));
    for (const title of ['viewer snapshot', 'Axial slice', 'Coronal slice', 'Sagittal slice']) {
      const img = images.get(title);
      expect(img, `${title} in the HTML report`).toBeDefined();
      expect(img!.width).toBeGreaterThan(100);
      expect(pixelStd(img!), `${title} is not a flat image`).toBeGreaterThan(2);
    }
    expect(html).toContain('3D view of case');
    expect(html).toContain('Slice views captured in the viewer');
    expect(session.errors.filter((e) => !/connection to the engine was lost/.test(e))).toEqual([]);
  }, 240_000);
});
