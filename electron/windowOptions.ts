/**
 * Security-relevant configuration of the desktop shell as pure values, so a unit test can check them without Electron.
 */
import type { BrowserWindowConstructorOptions } from 'electron';
import { contentSecurityPolicy } from '../main/server/csp.ts';
import { APP_HOST, APP_SCHEME } from './channels.ts';

/** No connect-src beyond the app itself: in Electron all engine traffic goes through IPC. */
export const ELECTRON_CSP = contentSecurityPolicy();

export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1400,
    height: 900,
    minWidth: 800,
    minHeight: 600,
    show: false,
    title: 'Segstation',
    backgroundColor: '#1e1e1e',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      spellcheck: false,
      safeDialogs: true,
      navigateOnDragDrop: false,
    },
  };
}

/** The renderer may only ever show the app's own pages. */
export function isAppUrl(url: string): boolean {
  try {
    // Compare scheme and host: outside Chromium, URL gives custom schemes an opaque ('null') origin.
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
}
