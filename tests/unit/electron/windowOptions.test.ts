import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { serveAppRequest } from '../../../electron/appProtocol.ts';
import { menuTemplate } from '../../../electron/menu.ts';
import { ELECTRON_CSP, isAppUrl, mainWindowOptions } from '../../../electron/windowOptions.ts';

describe('BrowserWindow options', () => {
  const options = mainWindowOptions('/app/out/electron/preload.cjs');
  it('isolates and sandboxes the renderer, with no Node', () => {
    expect(options.webPreferences).toMatchObject({
      preload: '/app/out/electron/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });
});

describe('Content-Security-Policy', () => {
  const directives = new Map(ELECTRON_CSP.split(';').map((d) => { const [name, ...values] = d.trim().split(/\s+/); return [name, values] as const; }));
  it('defaults to none and allows scripts only from the app, without eval or inline scripts', () => {
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
  });
  it('lets the renderer connect only to itself (the engine is reached over IPC)', () => {
    expect(directives.get('connect-src')).toEqual(["'self'"]);
  });
});

describe('navigation', () => {
  it.each([
    ['app://renderer/', true],
    ['app://renderer/index.html#/case/1', true],
    ['app://other/', false],
    ['https://example.com/', false],
    ['file:///etc/passwd', false],
    ['not a url', false],
  ])('%s allowed: %s', (url, allowed) => {
    expect(isAppUrl(url)).toBe(allowed);
  });
});

describe('menu', () => {
  it('has File > Open Project / Open Volume / Open Label wired to the actions', () => {
    const actions = { openProject: vi.fn(), openVolume: vi.fn(), openLabel: vi.fn() };
    const template = menuTemplate(actions, { devTools: false, mac: false });
    const file = template.find((m) => m.label === 'File');
    const items = (file?.submenu as { label?: string; click?: () => void }[]).filter((i) => i.label);
    expect(items.map((i) => i.label)).toEqual(['Open Project…', 'Open Volume…', 'Open Label…']);
    items.forEach((i) => i.click?.());
    expect(actions.openProject).toHaveBeenCalledOnce();
    expect(actions.openVolume).toHaveBeenCalledOnce();
    expect(actions.openLabel).toHaveBeenCalledOnce();
    const view = template.find((m) => m.label === 'View')?.submenu as { role?: string }[];
    expect(view.some((i) => i.role === 'toggleDevTools')).toBe(false);
  });
});

describe('app:// protocol', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'segstation-app-'));
  const renderer = path.join(dir, 'renderer');
  writeFileSync(path.join(dir, 'secret.txt'), 'secret');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says to build the renderer when it is missing', async () => {
    const res = await serveAppRequest(renderer, 'app://renderer/');
    expect(await res.text()).toContain('npm run build:renderer');
  });

  it('serves files with their type and the CSP, never outside the folder or for another host', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(renderer, { recursive: true });
    writeFileSync(path.join(renderer, 'index.html'), '<title>viewer</title>');
    writeFileSync(path.join(renderer, 'app.js'), 'x');
    const js = await serveAppRequest(renderer, 'app://renderer/app.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('content-security-policy')).toBe(ELECTRON_CSP);
    const escape = await serveAppRequest(renderer, 'app://renderer/%2e%2e/secret.txt');
    expect(await escape.text()).not.toContain('secret');
    expect((await serveAppRequest(renderer, 'app://evil/app.js')).status).toBe(404);
  });

  it("serves the open project's run sample pictures at web mode's paths, and nothing else of the project", async () => {
    const { mkdirSync } = await import('node:fs');
    const project = path.join(dir, 'project');
    mkdirSync(path.join(project, 'runs', 'r1', 'samples'), { recursive: true });
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    writeFileSync(path.join(project, 'runs', 'r1', 'samples', 'epoch-1.png'), png);
    writeFileSync(path.join(project, 'catalogue.sqlite'), 'db');
    const open = () => project;
    const res = await serveAppRequest(renderer, 'app://renderer/data/runs/r1/samples/epoch-1.png', open);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(png);
    expect((await serveAppRequest(renderer, 'app://renderer/data/runs/r1/samples/epoch-1.png')).status).toBe(404);
    expect((await serveAppRequest(renderer, 'app://renderer/data/runs/r1/samples/missing.png', open)).status).toBe(404);
    expect((await serveAppRequest(renderer, 'app://renderer/data/runs/..%2F..%2Fcatalogue.sqlite/samples/x.png', open)).status).toBe(400);
    expect((await serveAppRequest(renderer, 'app://renderer/data/runs/r1/samples/..%2F..%2F..%2Fcatalogue.sqlite', open)).status).toBe(400);
  });
});
