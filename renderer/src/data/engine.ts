/**
 * The renderer's one EngineApi: Electron's preload exposes it as `window.segstation`; in web mode it is a web client
 * authenticated with the page's `?token=`.
 */
import type { EngineApi } from '../../../ipc/api.ts';
import { createWebClient } from '../../../ipc/webClient.ts';

declare global {
  interface Window {
    segstation?: EngineApi;
  }
}

let engine: EngineApi | null = null;

export function getEngine(): EngineApi {
  if (engine) return engine;
  if (window.segstation) {
    engine = window.segstation;
    return engine;
  }
  const token = new URLSearchParams(window.location.search).get('token') ?? '';
  engine = createWebClient({ baseUrl: window.location.origin, token });
  return engine;
}

/** For tests: run the UI against another implementation. */
export function setEngine(api: EngineApi): void {
  engine = api;
}
