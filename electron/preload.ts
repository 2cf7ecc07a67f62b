/**
 * The preload (sandboxed, bundled to one file): exposes exactly the EngineApi at `window.segstation` and nothing else
 * (no ipcRenderer, no Node). Requests go to one invoke channel validated in the main process; voxels arrive as
 * data-plane frames and are decoded here into typed arrays.
 *
 * A failed call rejects with a plain {name, code, message, field?} object (an Error would lose code and field when it
 * crosses the context bridge) — the same fields as web mode's EngineRequestError.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { EngineApi, VolumeBlock } from '../ipc/api.ts';
import type { Axis, EngineError, EngineEvent, MethodName, ParamsOf, ResultOf } from '../ipc/contract.ts';
import { decodeBlock } from '../ipc/dataPlane.ts';
import { CHANNELS } from './channels.ts';

type Reply = { result: unknown } | { error: EngineError };

function failure(error: EngineError) {
  return { name: 'EngineRequestError', code: error.code, message: error.message, ...(error.field !== undefined ? { field: error.field } : {}) };
}

let nextId = 1;

async function block(channel: string, request: unknown): Promise<VolumeBlock> {
  const reply = (await ipcRenderer.invoke(channel, request)) as Uint8Array | { error: EngineError };
  if (reply instanceof Uint8Array) return decodeBlock(reply);
  throw failure(reply.error);
}

export const engineApi: Required<EngineApi> = {
  async request<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    const reply = (await ipcRenderer.invoke(CHANNELS.request, { id: nextId++, method, params })) as Reply;
    if ('error' in reply) throw failure(reply.error);
    return reply.result as ResultOf<M>;
  },
  onEvent(listener: (event: EngineEvent) => void): () => void {
    // Wrap so the renderer never sees Electron's IpcRendererEvent (it carries `sender`, i.e. ipcRenderer).
    const handler = (_event: unknown, message: EngineEvent) => listener(message);
    ipcRenderer.on(CHANNELS.event, handler);
    return () => {
      ipcRenderer.removeListener(CHANNELS.event, handler);
    };
  },
  fetchSlice(volumeId: string, axis: Axis, index: number): Promise<VolumeBlock> {
    return block(CHANNELS.slice, { volumeId, axis, index });
  },
  fetchLevel(volumeId: string, level: number): Promise<VolumeBlock> {
    return block(CHANNELS.level, { volumeId, level });
  },
  fetchRegion(volumeId: string, level: number, start: [number, number, number], size: [number, number, number]): Promise<VolumeBlock> {
    return block(CHANNELS.region, { volumeId, level, start, size });
  },
};

contextBridge.exposeInMainWorld('segstation', engineApi);
