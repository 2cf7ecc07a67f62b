/**
 * Binds the contract to Electron's ipcMain: every message is validated with the same schemas as web mode and handled by
 * the same engine (main/services). Only frames of the app's own origin are answered. Errors travel as values
 * ({error}), never as thrown exceptions, because Electron strips an exception down to its message.
 */
import { LevelRequestSchema, RegionRequestSchema, SliceRequestSchema, errorFromZod, type EngineError } from '../ipc/contract.ts';
import { encodeBlock } from '../ipc/dataPlane.ts';
import type { Engine } from '../main/services/engine.ts';
import { toEngineError } from '../main/services/errors.ts';
import { CHANNELS } from './channels.ts';

/** The part of Electron's IpcMainInvokeEvent the binding looks at. */
export interface InvokeEventLike {
  senderFrame: { url: string } | null;
}
/** The part of Electron's ipcMain the binding uses. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

const UNTRUSTED: EngineError = { code: 'unauthorized', message: 'IPC from a frame that is not the app' };

export function bindEngine(ipcMain: IpcMainLike, engine: Engine, isTrusted: (url: string) => boolean): () => void {
  const trusted = (event: InvokeEventLike) => event.senderFrame !== null && isTrusted(event.senderFrame.url);

  ipcMain.handle(CHANNELS.request, async (event, message) => {
    if (!trusted(event)) return { id: null, error: UNTRUSTED };
    return engine.dispatch(message);
  });

  const blockHandler = (kind: 'slice' | 'level' | 'region') => async (event: InvokeEventLike, raw: unknown) => {
    if (!trusted(event)) return { error: UNTRUSTED };
    try {
      if (kind === 'slice') {
        const parsed = SliceRequestSchema.safeParse(raw);
        if (!parsed.success) return { error: errorFromZod(parsed.error, '') };
        return encodeBlock(await engine.slice(parsed.data.volumeId, parsed.data.axis, parsed.data.index));
      }
      if (kind === 'region') {
        const parsed = RegionRequestSchema.safeParse(raw);
        if (!parsed.success) return { error: errorFromZod(parsed.error, '') };
        const { volumeId, level, start, size } = parsed.data;
        return encodeBlock(await engine.region(volumeId, level, start, size));
      }
      const parsed = LevelRequestSchema.safeParse(raw);
      if (!parsed.success) return { error: errorFromZod(parsed.error, '') };
      return encodeBlock(await engine.level(parsed.data.volumeId, parsed.data.level));
    } catch (error) {
      return { error: toEngineError(error) };
    }
  };
  ipcMain.handle(CHANNELS.slice, blockHandler('slice'));
  ipcMain.handle(CHANNELS.level, blockHandler('level'));
  ipcMain.handle(CHANNELS.region, blockHandler('region'));

  return () => {
    ipcMain.removeHandler(CHANNELS.request);
    ipcMain.removeHandler(CHANNELS.slice);
    ipcMain.removeHandler(CHANNELS.level);
    ipcMain.removeHandler(CHANNELS.region);
  };
}
