/**
 * The Electron main process: one window on app://renderer/, the engine (main/services) behind a validated IPC binding,
 * the File menu with its open dialogs, and the security defaults (sandbox, isolation, CSP, no navigation, no new
 * windows, no permissions). Started through bootstrap.mjs (which registers the app scheme and loads TypeScript).
 */
import { app, BrowserWindow, Menu, dialog, ipcMain, protocol, session } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineEvent } from '../ipc/contract.ts';
import { Engine } from '../main/services/engine.ts';
import { errorMessage } from '../main/util/errors.ts';
import { serveAppRequest } from './appProtocol.ts';
import { APP_ORIGIN, APP_SCHEME, CHANNELS } from './channels.ts';
import { bindEngine } from './ipcBinding.ts';
import { VOLUME_FILTERS, menuTemplate } from './menu.ts';
import { ELECTRON_CSP, isAppUrl, mainWindowOptions } from './windowOptions.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RENDERER_DIR = process.env.SEGSTATION_RENDERER_DIR ?? path.join(ROOT, 'dist', 'renderer');
const PRELOAD = path.join(ROOT, 'out', 'electron', 'preload.cjs');

const engine = new Engine({ transport: 'electron' });
let window: BrowserWindow | null = null;
/** The image a label opened from the menu is checked against. */
let lastImageId: string | null = null;

engine.onEvent((event: EngineEvent) => {
  if (event.event === 'volume.opened' && event.payload.role === 'image') lastImageId = event.payload.id;
  if (event.event === 'volume.closed' && event.payload.volumeId === lastImageId) lastImageId = null;
  if (window && !window.isDestroyed()) window.webContents.send(CHANNELS.event, event);
});

async function guarded(title: string, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    dialog.showErrorBox(title, errorMessage(error));
  }
}

const actions = {
  openProject: () =>
    void guarded('Cannot open project', async () => {
      if (!window) return;
      const choice = await dialog.showOpenDialog(window, { title: 'Open Project', properties: ['openDirectory'] });
      if (!choice.canceled && choice.filePaths[0]) await engine.call('project.open', { dir: choice.filePaths[0] });
    }),
  openVolume: () =>
    void guarded('Cannot open volume', async () => {
      if (!window) return;
      const choice = await dialog.showOpenDialog(window, { title: 'Open Volume', properties: ['openFile'], filters: VOLUME_FILTERS });
      if (!choice.canceled && choice.filePaths[0]) await engine.call('volume.open', { path: choice.filePaths[0], role: 'image' });
    }),
  openLabel: () =>
    void guarded('Cannot open label', async () => {
      if (!window) return;
      if (!lastImageId) {
        await dialog.showMessageBox(window, { type: 'info', message: 'Open an image first: a label map is shown on its image.' });
        return;
      }
      const choice = await dialog.showOpenDialog(window, { title: 'Open Label', properties: ['openFile'], filters: VOLUME_FILTERS });
      if (!choice.canceled && choice.filePaths[0]) await engine.call('volume.open', { path: choice.filePaths[0], role: 'label', imageId: lastImageId });
    }),
};

function createWindow(): void {
  window = new BrowserWindow(mainWindowOptions(PRELOAD));
  window.once('ready-to-show', () => window?.show());
  window.on('closed', () => {
    window = null;
  });
  void window.loadURL(`${APP_ORIGIN}/`);
}

app.enableSandbox();

app.on('web-contents-created', (_event, contents) => {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

void app.whenReady().then(() => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [ELECTRON_CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  protocol.handle(APP_SCHEME, (request) => serveAppRequest(RENDERER_DIR, request.url, () => engine.projects.current?.dir ?? null));
  bindEngine(ipcMain, engine, isAppUrl);
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(actions, { devTools: !app.isPackaged, mac: process.platform === 'darwin' })));
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('will-quit', () => engine.dispose());
