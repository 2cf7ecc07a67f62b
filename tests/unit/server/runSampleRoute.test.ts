// GET /data/runs/:runId/samples/:file: token checked, names validated, only the open project's run samples served.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng, createRaster } from '../../../main/report/png.ts';
import { samplePath } from '../../../main/server/runSampleRoute.ts';
import type { WebServer } from '../../../main/server/webServer.ts';
import { startTestWebServer, stopTestWebServer } from '../../helpers/webServer.ts';
import type { Engine } from '../../../main/services/engine.ts';

let tmp: string;
let engine: Engine;
let server: WebServer;
const png = encodePng(createRaster(2, 1));

beforeAll(async () => {
  ({ tmp, engine, server } = await startTestWebServer('segstation-sample-route-'));
});

afterAll(async () => {
  await stopTestWebServer({ tmp, engine, server });
});

const get = (p: string, token: string | null = server.token) => fetch(`${server.url}${p}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });

describe('run sample route', () => {
  it('answers not found while no project is open', async () => {
    const r = await get('/data/runs/r1/samples/val-a.png');
    expect(r.status).toBe(404);
    expect(((await r.json()) as { message: string }).message).toMatch(/no project is open/);
  });

  it('serves a sample of the open project, and refuses a missing token', async () => {
    const project = (await engine.call('project.create', { dir: path.join(tmp, 'p') })).dir;
    mkdirSync(path.join(project, 'runs', 'r1', 'samples'), { recursive: true });
    writeFileSync(path.join(project, 'runs', 'r1', 'samples', 'val-a.png'), png);
    writeFileSync(path.join(project, 'runs', 'r1', 'config.json'), '{"secret":1}');
    writeFileSync(path.join(tmp, 'outside.png'), png);
    symlinkSync(path.join(tmp, 'outside.png'), path.join(project, 'runs', 'r1', 'samples', 'link.png'));

    const ok = await get('/data/runs/r1/samples/val-a.png');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(await ok.arrayBuffer())).toEqual(png);
    expect((await get('/data/runs/r1/samples/val-a.png', null)).status).toBe(401);
    expect((await get('/data/runs/r1/samples/val-a.png', 'wrong')).status).toBe(401);
    // A link in the folder is not followed; a file that is not there is not found.
    expect((await get('/data/runs/r1/samples/link.png')).status).toBe(404);
    expect((await get('/data/runs/r1/samples/val-b.png')).status).toBe(404);
    expect((await get('/data/runs/r2/samples/val-a.png')).status).toBe(404);
  });

  it.each([
    ['/data/runs/r1/samples/..%2Fconfig.json', 'file'],
    ['/data/runs/r1/samples/config.json', 'file'],
    ['/data/runs/..%2F..%2Fetc/samples/val-a.png', 'runId'],
    ['/data/runs/../samples/val-a.png', null],
    ['/data/runs/r1/samples/.val-a.png', 'file'],
    ['/data/runs/r1/samples/%E0%A4%A.png', 'file'],
    ['/data/runs/r1/samples/a%00.png', 'file'],
  ])('refuses %s', async (url, field) => {
    const r = await get(url);
    // The URL parser folds '/../' before routing: then it is simply not this route.
    if (field === null) expect(r.status).toBe(404);
    else {
      expect(r.status).toBe(400);
      expect(await r.json()).toMatchObject({ code: 'bad_request', field });
    }
  });

  it.each([
    ['r1', 'val-a.png', true],
    ['..', 'val-a.png', false],
    ['r1', '..png', false],
    ['r1', 'a/b.png', false],
    ['r1', 'a.PNG', false],
  ])('samplePath(%j, %j) ok=%j', (run, file, ok) => {
    const result = samplePath('/p', run, file);
    expect('path' in result).toBe(ok);
    if ('path' in result) expect(result.path).toBe(path.resolve('/p/runs', run, 'samples', file));
  });
});
