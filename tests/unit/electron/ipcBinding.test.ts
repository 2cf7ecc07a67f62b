import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeBlock } from '../../../ipc/dataPlane.ts';
import { CHANNELS } from '../../../electron/channels.ts';
import { bindEngine, type IpcMainLike, type InvokeEventLike } from '../../../electron/ipcBinding.ts';
import { isAppUrl } from '../../../electron/windowOptions.ts';
import { Engine } from '../../../main/services/engine.ts';
import { sharedPath } from '../../helpers/shared-data.ts';

type Handler = (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>;
const handlers = new Map<string, Handler>();
const ipcMain: IpcMainLike = { handle: (c, h) => handlers.set(c, h), removeHandler: (c) => handlers.delete(c) };
const engine = new Engine({ transport: 'electron', recentFile: path.join(os.tmpdir(), `segstation-ipc-${process.pid}.json`) });
const unbind = bindEngine(ipcMain, engine, isAppUrl);
const app: InvokeEventLike = { senderFrame: { url: 'app://renderer/' } };
const foreign: InvokeEventLike = { senderFrame: { url: 'https://example.com/' } };
const call = (channel: string, event: InvokeEventLike, arg: unknown) => handlers.get(channel)!(event, arg);

afterAll(() => {
  unbind();
  engine.dispose();
});

describe('Electron IPC binding', () => {
  it('registers exactly the request, slice, level and region channels', () => {
    expect([...handlers.keys()].sort()).toEqual([CHANNELS.level, CHANNELS.region, CHANNELS.request, CHANNELS.slice].sort());
  });

  it('validates every request with the contract and keeps serving', async () => {
    expect(await call(CHANNELS.request, app, { id: 1, method: 'volume.meta', params: { volumeId: 7 } })).toMatchObject({ id: 1, error: { code: 'bad_request', field: 'params.volumeId' } });
    expect(await call(CHANNELS.request, app, 'garbage')).toMatchObject({ error: { code: 'bad_request' } });
    expect(await call(CHANNELS.request, app, { id: 2, method: 'engine.info', params: {} })).toMatchObject({ id: 2, result: { transport: 'electron' } });
  });

  it('answers only the app origin', async () => {
    expect(await call(CHANNELS.request, foreign, { id: 3, method: 'engine.info', params: {} })).toMatchObject({ error: { code: 'unauthorized' } });
    expect(await call(CHANNELS.slice, foreign, { volumeId: 'v1', axis: 0, index: 0 })).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('sends slices as data-plane frames and errors as values', async () => {
    const opened = (await call(CHANNELS.request, app, { id: 4, method: 'volume.open', params: { path: sharedPath('debian_itk_examples/KmeansTest_T1UCharRaw.nii.gz'), role: 'image' } })) as { result: { id: string } };
    const frame = await call(CHANNELS.slice, app, { volumeId: opened.result.id, axis: 2, index: 30 });
    expect(frame).toBeInstanceOf(Uint8Array);
    expect(decodeBlock(frame as Uint8Array).shape).toEqual([128, 128, 1]);
    expect(await call(CHANNELS.slice, app, { volumeId: opened.result.id, axis: 'z', index: 0 })).toMatchObject({ error: { code: 'bad_request', field: 'axis' } });
    expect(await call(CHANNELS.level, app, { volumeId: opened.result.id, level: 99 })).toMatchObject({ error: { code: 'input_error', field: 'level' } });
    const region = await call(CHANNELS.region, app, { volumeId: opened.result.id, level: 0, start: [10, 20, 30], size: [4, 5, 6] });
    expect(decodeBlock(region as Uint8Array).shape).toEqual([4, 5, 6]);
    expect(await call(CHANNELS.region, app, { volumeId: opened.result.id, level: 0, start: [10, 20, 30], size: [4, 5, 0] })).toMatchObject({ error: { code: 'bad_request', field: 'size.2' } });
  });
});
