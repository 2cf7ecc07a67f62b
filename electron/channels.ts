/** The only IPC channels between the preload and the main process (the preload imports nothing else from main). */
export const CHANNELS = {
  /** invoke: {method, params} -> {result} | {error} */
  request: 'segstation:request',
  /** invoke: {volumeId, axis, index} -> data-plane frame (Uint8Array) | {error} */
  slice: 'segstation:slice',
  /** invoke: {volumeId, level} -> data-plane frame (Uint8Array) | {error} */
  level: 'segstation:level',
  /** invoke: {volumeId, level, start, size} -> data-plane frame (Uint8Array) | {error} */
  region: 'segstation:region',
  /** main -> renderer: an EngineEvent */
  event: 'segstation:event',
} as const;

/** The privileged scheme the renderer is served from (a real origin, unlike file://). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'renderer';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
