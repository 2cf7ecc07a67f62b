/**
 * Shared set-up for browser tests of the viewer: builds the renderer when its bundle is missing or older than its
 * sources, starts web mode in-process on a free port, and launches Debian's Chromium (software WebGL2 via SwiftShader).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, promises as fs, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { Engine } from '../../../main/services/engine.ts';
import { startWebServer, type WebServer } from '../../../main/server/webServer.ts';
import type { HookHost, HookState, HookViewName } from '../../../renderer/src/testHookApi.ts';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** Where the bundle is built and served from; SEGSTATION_RENDERER_DIST lets parallel work build its own. */
export const DIST = process.env.SEGSTATION_RENDERER_DIST ?? path.join(REPO, 'dist/renderer');
export const ARTIFACTS = path.join(REPO, 'out/test-artifacts/e2e');
export const CHROMIUM = process.env.SEGSTATION_CHROMIUM ?? '/usr/bin/chromium';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds dist/renderer unless it is newer than every file under renderer/ and ipc/. */
export function ensureRendererBuilt(): void {
  const index = path.join(DIST, 'index.html');
  const sources = Math.max(newestMtime(path.join(REPO, 'renderer')), newestMtime(path.join(REPO, 'ipc')));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execFileSync(process.execPath, [path.join(REPO, 'node_modules/vite/bin/vite.js'), 'build', '-c', 'renderer/vite.config.ts', '--outDir', DIST, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export interface ViewerSession {
  server: WebServer;
  engine: Engine;
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far. */
  errors: string[];
  close(): Promise<void>;
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--ignore-gpu-blocklist',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

/** Web mode + a Chromium page on the viewer. `query` is appended to the page URL (e.g. 'shade=0'). */
export async function openViewer(query = '', viewport = { width: 1000, height: 660 }): Promise<ViewerSession> {
  ensureRendererBuilt();
  mkdirSync(ARTIFACTS, { recursive: true });
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-e2e-'));
  const engine = new Engine({ transport: 'web', recentFile: path.join(tmp, 'recent.json') });
  const server = await startWebServer({ engine, port: 0, staticDir: DIST });
  const context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    deviceScaleFactor: 1,
    args: CHROMIUM_ARGS,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.stack ?? e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${new URL(r.url()).pathname}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.goto(`${server.pageUrl}${query ? `&${query}` : ''}`);
  await page.waitForFunction(() => (globalThis as unknown as HookHost).__segstation !== undefined);
  return {
    server,
    engine,
    context,
    page,
    errors,
    async close() {
      await context.close().catch(() => undefined);
      engine.dispose();
      await server.close();
      await fs.rm(tmp, { recursive: true, force: true });
    },
  };
}

export interface Pixels {
  width: number;
  height: number;
  rgba: Uint8Array;
}

export async function capture(page: Page, view: HookViewName): Promise<Pixels> {
  const shot = await page.evaluate((v) => (globalThis as unknown as HookHost).__segstation!.capture(v), view);
  return { width: shot.width, height: shot.height, rgba: new Uint8Array(Buffer.from(shot.rgbaBase64, 'base64')) };
}

export async function settle(page: Page): Promise<void> {
  await page.evaluate(() => (globalThis as unknown as HookHost).__segstation!.whenIdle());
}

export function hookState(page: Page): Promise<HookState> {
  return page.evaluate(() => (globalThis as unknown as HookHost).__segstation!.state());
}

export function labelClasses(page: Page): Promise<{ value: number; name: string; color: [number, number, number]; visible: boolean }[]> {
  return page.evaluate(() => (globalThis as unknown as HookHost).__segstation!.labelClasses());
}

/**
 * Waits until the shown image is `imageName`-independent settled: an error, or image (and label, when `withLabel`)
 * shown with every slice view and the 3D view drawn, the axial view at `axialIndex` when given.
 */
export async function waitForVolumeShown(page: Page, withLabel: boolean, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    (label) => {
      const s = (globalThis as unknown as HookHost).__segstation!.state();
      if (s.error !== null) return true;
      const slicesShown = ['axial', 'coronal', 'sagittal'].every((v) => (s.shownSlice[v as 'axial'] ?? -1) >= 0);
      return s.imageId !== null && (s.labelId !== null) === label && s.shownLevel !== null && s.shownLevel >= 0 && slicesShown;
    },
    withLabel,
    { timeout },
  );
}

/** Pixels whose RGB differs from `background` by more than `tolerance` in some channel. */
export function countNotBackground(p: Pixels, background: readonly number[], tolerance = 8): number {
  let n = 0;
  for (let i = 0; i < p.rgba.length; i += 4) {
    if (
      Math.abs(p.rgba[i] - background[0]) > tolerance ||
      Math.abs(p.rgba[i + 1] - background[1]) > tolerance ||
      Math.abs(p.rgba[i + 2] - background[2]) > tolerance
    ) {
      n++;
    }
  }
  return n;
}

/** Pixels within `tolerance` of `color` in every channel. */
export function countNear(p: Pixels, color: readonly number[], tolerance = 24): number {
  let n = 0;
  for (let i = 0; i < p.rgba.length; i += 4) {
    if (
      Math.abs(p.rgba[i] - color[0]) <= tolerance &&
      Math.abs(p.rgba[i + 1] - color[1]) <= tolerance &&
      Math.abs(p.rgba[i + 2] - color[2]) <= tolerance
    ) {
      n++;
    }
  }
  return n;
}

/** Pixels that differ between two frames of the same size (any channel by more than `tolerance`). */
export function countChanged(a: Pixels, b: Pixels, tolerance = 4): number {
  let n = 0;
  for (let i = 0; i < a.rgba.length; i += 4) {
    if (
      Math.abs(a.rgba[i] - b.rgba[i]) > tolerance ||
      Math.abs(a.rgba[i + 1] - b.rgba[i + 1]) > tolerance ||
      Math.abs(a.rgba[i + 2] - b.rgba[i + 2]) > tolerance
    ) {
      n++;
    }
  }
  return n;
}
