// Loads electron/main.ts against a mocked `electron` and checks the security wiring it does at start-up.
import os from 'node:os';
import path from 'node:path';
import type { BrowserWindowConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';

process.env.SEGSTATION_CONFIG_DIR = path.join(os.tmpdir(), `segstation-electron-main-${process.pid}`);

type Listener = (...args: unknown[]) => unknown;
const appListeners = new Map<string, Listener>();
const calls = {
  enableSandbox: 0,
  windows: [] as { options: unknown; url?: string }[],
  headersHook: null as null | Listener,
  permissionRequest: null as null | Listener,
  permissionCheck: null as null | Listener,
  protocols: [] as string[],
  ipcChannels: [] as string[],
  menu: null as unknown,
};

vi.mock('electron', () => {
  class BrowserWindow {
    static all: BrowserWindow[] = [];
    static getAllWindows() {
      return BrowserWindow.all;
    }
    webContents = { send: vi.fn() };
    constructor(options: unknown) {
      calls.windows.push({ options });
      BrowserWindow.all.push(this);
    }
    once() {}
    on() {}
    isDestroyed() {
      return false;
    }
    show() {}
    async loadURL(url: string) {
      calls.windows[calls.windows.length - 1].url = url;
    }
  }
  return {
    app: {
      enableSandbox: () => calls.enableSandbox++,
      on: (event: string, listener: Listener) => appListeners.set(event, listener),
      whenReady: () => Promise.resolve(),
      isPackaged: true,
      quit: vi.fn(),
    },
    BrowserWindow,
    Menu: { buildFromTemplate: (t: unknown) => t, setApplicationMenu: (m: unknown) => (calls.menu = m) },
    dialog: { showOpenDialog: vi.fn(), showErrorBox: vi.fn(), showMessageBox: vi.fn() },
    ipcMain: { handle: (channel: string) => calls.ipcChannels.push(channel), removeHandler: vi.fn() },
    protocol: { handle: (scheme: string) => calls.protocols.push(scheme) },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: (hook: Listener) => (calls.headersHook = hook) },
        setPermissionRequestHandler: (h: Listener) => (calls.permissionRequest = h),
        setPermissionCheckHandler: (h: Listener) => (calls.permissionCheck = h),
      },
    },
  };
});

await import('../../../electron/main.ts');
await new Promise((r) => setTimeout(r, 0));

/** A fake webContents that records its event handlers and window-open handler. */
function fakeContents() {
  const handlers = new Map<string, Listener>();
  let openHandler: Listener | null = null;
  return {
    on: (event: string, h: Listener) => handlers.set(event, h),
    setWindowOpenHandler: (h: Listener) => (openHandler = h),
    handlers,
    open: () => openHandler?.({ url: 'https://example.com/' }),
  };
}

describe('electron/main.ts start-up', () => {
  it('sandboxes every renderer and opens one isolated window on app://renderer/', async () => {
    expect(calls.enableSandbox).toBe(1);
    expect(calls.windows).toHaveLength(1);
    const options = calls.windows[0].options as BrowserWindowConstructorOptions;
    expect(options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });
    expect(options.webPreferences?.preload).toMatch(/out[\\/]electron[\\/]preload\.cjs$/);
    expect(calls.windows[0].url).toBe('app://renderer/');
    expect(calls.protocols).toEqual(['app']);
    expect(calls.ipcChannels.sort()).toEqual(['segstation:level', 'segstation:region', 'segstation:request', 'segstation:slice']);
  });

  it('adds the CSP to every response and refuses every permission', async () => {
    const { ELECTRON_CSP } = await import('../../../electron/windowOptions.ts');
    let headers: unknown;
    calls.headersHook?.({ responseHeaders: { 'X-A': ['1'] } }, (r: { responseHeaders: unknown }) => (headers = r.responseHeaders));
    expect(headers).toEqual({ 'X-A': ['1'], 'Content-Security-Policy': [ELECTRON_CSP] });
    let granted: boolean | undefined;
    calls.permissionRequest?.({}, 'media', (ok: boolean) => (granted = ok));
    expect(granted).toBe(false);
    expect(calls.permissionCheck?.()).toBe(false);
  });

  it('denies new windows, navigation and redirects away from the app, and webviews', () => {
    const contents = fakeContents();
    appListeners.get('web-contents-created')?.({}, contents);
    expect(contents.open()).toEqual({ action: 'deny' });
    for (const event of ['will-navigate', 'will-redirect']) {
      const away = { preventDefault: vi.fn() };
      contents.handlers.get(event)?.(away, 'https://example.com/');
      expect(away.preventDefault).toHaveBeenCalled();
      const inside = { preventDefault: vi.fn() };
      contents.handlers.get(event)?.(inside, 'app://renderer/index.html');
      expect(inside.preventDefault).not.toHaveBeenCalled();
    }
    const webview = { preventDefault: vi.fn() };
    contents.handlers.get('will-attach-webview')?.(webview);
    expect(webview.preventDefault).toHaveBeenCalled();
  });

  it('installs the File menu', () => {
    const file = (calls.menu as { label?: string; submenu?: { label?: string }[] }[]).find((m) => m.label === 'File');
    expect(file?.submenu?.filter((i) => i.label).map((i) => i.label)).toEqual(['Open Project…', 'Open Volume…', 'Open Label…']);
  });
});
