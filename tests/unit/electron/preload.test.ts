import { beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeBlock } from '../../../ipc/dataPlane.ts';
import { CHANNELS } from '../../../electron/channels.ts';

const exposed: Record<string, unknown> = {};
const invoke = vi.fn();
const on = vi.fn();
const removeListener = vi.fn();

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => { exposed[key] = value; } },
  ipcRenderer: { invoke, on, removeListener, send: vi.fn(), sendSync: vi.fn() },
}));

await import('../../../electron/preload.ts');

interface Api {
  request(method: string, params: unknown): Promise<unknown>;
  onEvent(listener: (e: unknown) => void): () => void;
  fetchSlice(volumeId: string, axis: number, index: number): Promise<{ data: ArrayLike<number>; shape: number[] }>;
  fetchLevel(volumeId: string, level: number): Promise<unknown>;
}
const api = () => exposed.segstation as Api;

beforeEach(() => {
  invoke.mockReset();
  on.mockReset();
  removeListener.mockReset();
});

describe('preload', () => {
  it('exposes only window.segstation with exactly the EngineApi functions', () => {
    expect(Object.keys(exposed)).toEqual(['segstation']);
    const value = exposed.segstation as Record<string, unknown>;
    expect(Object.keys(value).sort()).toEqual(['fetchLevel', 'fetchRegion', 'fetchSlice', 'onEvent', 'request']);
    for (const key of Object.keys(value)) expect(typeof value[key]).toBe('function');
    // Nothing of Electron leaks through: no ipcRenderer, no invoke, no require.
    expect(Object.values(value)).not.toContain(invoke);
  });

  it('sends requests on the single request channel and unwraps results', async () => {
    invoke.mockResolvedValueOnce({ id: 1, result: { closed: true } });
    expect(await api().request('volume.close', { volumeId: 'v1' })).toEqual({ closed: true });
    expect(invoke).toHaveBeenCalledWith(CHANNELS.request, expect.objectContaining({ method: 'volume.close', params: { volumeId: 'v1' } }));
  });

  it('rejects with the typed error fields', async () => {
    invoke.mockResolvedValueOnce({ id: 2, error: { code: 'not_found', message: 'no volume', field: 'volumeId' } });
    await expect(api().request('volume.meta', { volumeId: 'x' })).rejects.toEqual({ name: 'EngineRequestError', code: 'not_found', message: 'no volume', field: 'volumeId' });
  });

  it('decodes data-plane frames of slices into typed arrays', async () => {
    const frame = encodeBlock({ dtype: 'int16', shape: [2, 1, 2], components: 1, spacing: [1, 1, 1], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], data: new Int16Array([1, -2, 3, -4]) });
    invoke.mockResolvedValueOnce(frame);
    const block = await api().fetchSlice('v1', 1, 0);
    expect(invoke).toHaveBeenCalledWith(CHANNELS.slice, { volumeId: 'v1', axis: 1, index: 0 });
    expect(block.data).toBeInstanceOf(Int16Array);
    expect(Array.from(block.data)).toEqual([1, -2, 3, -4]);
    invoke.mockResolvedValueOnce(frame);
    await (exposed.segstation as { fetchRegion: (...a: unknown[]) => Promise<unknown> }).fetchRegion('v1', 0, [1, 0, 0], [2, 1, 2]);
    expect(invoke).toHaveBeenLastCalledWith(CHANNELS.region, { volumeId: 'v1', level: 0, start: [1, 0, 0], size: [2, 1, 2] });
    invoke.mockResolvedValueOnce({ error: { code: 'input_error', message: 'bad level', field: 'level' } });
    await expect(api().fetchLevel('v1', 9)).rejects.toMatchObject({ code: 'input_error', field: 'level' });
  });

  it('passes event payloads without the IPC event object and unsubscribes', () => {
    const listener = vi.fn();
    const off = api().onEvent(listener);
    expect(on).toHaveBeenCalledWith(CHANNELS.event, expect.any(Function));
    const handler = on.mock.calls[0][1] as (event: unknown, message: unknown) => void;
    handler({ sender: 'ipcRenderer!' }, { event: 'volume.closed', payload: { volumeId: 'v1' } });
    expect(listener).toHaveBeenCalledWith({ event: 'volume.closed', payload: { volumeId: 'v1' } });
    off();
    expect(removeListener).toHaveBeenCalledWith(CHANNELS.event, handler);
  });
});
