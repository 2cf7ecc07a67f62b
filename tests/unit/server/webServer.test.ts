import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EngineRequestError, type VolumeBlock } from '../../../ipc/api.ts';
import type { EngineEvent } from '../../../ipc/contract.ts';
import { createWebClient, type SocketConstructor, type WebClient } from '../../../ipc/webClient.ts';
import { downsample } from '../../../main/io/omezarr/pyramid.ts';
import { readVolume } from '../../../main/io/registry.ts';
import { registerJobKind } from '../../../main/services/jobs.ts';
import { Engine } from '../../../main/services/engine.ts';
import { startWebServer, type WebServer } from '../../../main/server/webServer.ts';
import { indexToWorld, type Vec3, type Volume } from '../../../main/volume/volume.ts';
import { sharedPath } from '../../helpers/shared-data.ts';
import { CountParams } from '../services/fixtures/countJob.ts';

registerJobKind('test.count', CountParams, { module: new URL('../services/fixtures/countJob.ts', import.meta.url) });

const IMAGE = sharedPath('debian_itk_examples/KmeansTest_T1UCharRaw.nii.gz');
const LABEL = sharedPath('debian_itk_examples/KmeansTest_T1KmeansPrelimSegmentation.nii.gz');

let tmp: string;
let engine: Engine;
let server: WebServer;
let client: WebClient;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'segstation-web-'));
  const staticDir = path.join(tmp, 'renderer');
  mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>viewer</title>');
  writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(staticDir, 'assets', 'data.bin'), 'x');
  writeFileSync(path.join(tmp, 'secret.txt'), 'secret');
  symlinkSync(path.join(tmp, 'secret.txt'), path.join(staticDir, 'assets', 'link.txt'));
  engine = new Engine({ transport: 'web', recentFile: path.join(tmp, 'recent.json') });
  server = await startWebServer({ engine, staticDir });
  client = createWebClient({ baseUrl: server.url, token: server.token, WebSocket: WebSocket as unknown as SocketConstructor });
  await client.ready();
});

afterAll(async () => {
  client?.close();
  await server?.close();
  engine?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

/** A raw GET so that paths are sent exactly as written (fetch would normalise '..'). */
function rawGet(pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path: pathname, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a raw socket; resolves with the HTTP status when the upgrade is refused, or 101 when it opens. */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(-1));
  });
}

function rawSocket(): Promise<{ ws: WebSocket; next: () => Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
    const queue: unknown[] = [];
    const waiting: ((m: unknown) => void)[] = [];
    ws.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (typeof message === 'object' && message && 'event' in message) return;
      const w = waiting.shift();
      if (w) w(message);
      else queue.push(message);
    });
    const next = () => new Promise<unknown>((res) => (queue.length ? res(queue.shift()) : waiting.push(res)));
    ws.on('open', () => resolve({ ws, next }));
    ws.on('error', reject);
  });
}

describe('token authentication', () => {
  it.each([
    ['no token', '/', {}],
    ['wrong bearer token', '/', { Authorization: 'Bearer nope' }],
    ['wrong query token', '/?token=nope', {}],
    ['data plane without token', '/data/volumes/x/level/0', {}],
  ])('HTTP with %s -> 401', async (_name, pathname, headers) => {
    const res = await rawGet(pathname, headers);
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body.toString())).toMatchObject({ code: 'unauthorized' });
  });

  it('HTTP with the token in the header or the query -> 200, and the query sets a cookie for the page assets', async () => {
    expect((await rawGet('/', { Authorization: `Bearer ${server.token}` })).status).toBe(200);
    const page = await rawGet(`/?token=${server.token}`);
    expect(page.status).toBe(200);
    const cookie = String(page.headers['set-cookie']).split(';')[0];
    expect(cookie).toContain(server.token);
    expect(String(page.headers['set-cookie'])).toMatch(/HttpOnly/);
    expect((await rawGet('/assets/app.js', { Cookie: cookie })).status).toBe(200);
  });

  it('WebSocket upgrade without or with a wrong token is refused with 401; with the token it opens', async () => {
    expect(await upgradeStatus(`ws://127.0.0.1:${server.port}/ws`)).toBe(401);
    expect(await upgradeStatus(`ws://127.0.0.1:${server.port}/ws?token=wrong`)).toBe(401);
    expect(await upgradeStatus(`ws://127.0.0.1:${server.port}/ws`, { Authorization: 'Bearer wrong' })).toBe(401);
    expect(await upgradeStatus(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`)).toBe(101);
  });

  it('refuses another origin (DNS rebinding, cross-site pages) even with the token', async () => {
    expect(await upgradeStatus(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, { Origin: 'http://evil.example' })).toBe(403);
    expect((await rawGet('/', { Authorization: `Bearer ${server.token}`, Host: 'evil.example' })).status).toBe(401);
  });

  it('admits an origin given in allowedOrigins (a renderer dev server)', async () => {
    const dev = await startWebServer({ engine, staticDir: tmp, allowedOrigins: ['http://localhost:5173'] });
    try {
      expect(await upgradeStatus(`ws://127.0.0.1:${dev.port}/ws?token=${dev.token}`, { Origin: 'http://localhost:5173' })).toBe(101);
      expect(await upgradeStatus(`ws://127.0.0.1:${dev.port}/ws?token=${dev.token}`, { Origin: 'http://localhost:5174' })).toBe(403);
    } finally {
      await dev.close();
    }
  });

  it('refuses a non-loopback host', async () => {
    await expect(startWebServer({ engine, staticDir: tmp, host: '0.0.0.0' })).rejects.toThrow(/loopback/);
  });
});

describe('static files', () => {
  const auth = () => ({ Authorization: `Bearer ${server.token}` });
  it('serves with MIME types and a strict CSP', async () => {
    const js = await rawGet('/assets/app.js', auth());
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const page = await rawGet('/', auth());
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp.split(/[ ;]+/)).not.toContain("'unsafe-eval'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });

  it.each(['/assets/link.txt', '/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/.%2e/secret.txt', '/assets%5c..%5c..%5csecret.txt'])(
    'does not escape the folder: %s',
    async (pathname) => {
      const res = await rawGet(pathname, auth());
      expect(res.body.toString()).not.toContain('secret');
      expect([404, 200]).toContain(res.status);
      if (res.status === 200) expect(res.body.toString()).toContain('<title>viewer</title>');
    },
  );

  it('refuses unknown file types and unknown methods', async () => {
    expect((await rawGet('/assets/data.bin', auth())).status).toBe(415);
    const res = await fetch(`${server.url}/`, { method: 'POST', headers: auth() });
    expect(res.status).toBe(400);
  });
});

describe('WebSocket messages are validated', () => {
  it.each([
    ['malformed JSON', '{"id": 1, "method":', { id: null, error: { code: 'bad_request' } }],
    ['not an object', '"hello"', { id: null, error: { code: 'bad_request' } }],
    ['unknown method', JSON.stringify({ id: 2, method: 'volume.explode', params: {} }), { id: 2, error: { code: 'not_found', field: 'method' } }],
    ['wrong field type', JSON.stringify({ id: 3, method: 'volume.meta', params: { volumeId: 42 } }), { id: 3, error: { code: 'bad_request', field: 'params.volumeId' } }],
    ['wrong id type', JSON.stringify({ id: { a: 1 }, method: 'engine.info' }), { id: null, error: { code: 'bad_request' } }],
    ['missing volume', JSON.stringify({ id: 4, method: 'volume.meta', params: { volumeId: 'v999-none' } }), { id: 4, error: { code: 'not_found' } }],
    ['unreadable file', JSON.stringify({ id: 5, method: 'volume.open', params: { path: '/no/such/file.nii', role: 'image' } }), { id: 5, error: { code: 'input_error' } }],
  ])('%s -> typed error, and the connection keeps serving', async (_name, text, expected) => {
    const { ws, next } = await rawSocket();
    ws.send(text);
    expect(await next()).toMatchObject(expected);
    ws.send(JSON.stringify({ id: 100, method: 'engine.info', params: {} }));
    expect(await next()).toMatchObject({ id: 100, result: { name: 'segstation', transport: 'web' } });
    ws.close();
  });

  it('dropConnections cuts open sockets without a close frame and keeps serving new ones', async () => {
    const { ws } = await rawSocket();
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    expect(server.dropConnections()).toBeGreaterThanOrEqual(1);
    // 1006: the connection ended abnormally, as on a network drop.
    expect(await closed).toBe(1006);
    const { ws: again, next } = await rawSocket();
    again.send(JSON.stringify({ id: 7, method: 'engine.info', params: {} }));
    expect(await next()).toMatchObject({ id: 7, result: { name: 'segstation' } });
    again.close();
  });

  it('a typed client gets the error as EngineRequestError and the engine keeps serving', async () => {
    // Bypass the TypeScript types to send a wrong field type through the real client.
    const wrong = client.request('volume.meta', { volumeId: 42 } as unknown as { volumeId: string });
    await expect(wrong).rejects.toBeInstanceOf(EngineRequestError);
    await expect(wrong).rejects.toMatchObject({ code: 'bad_request', field: 'params.volumeId' });
    expect((await client.request('engine.info', {})).name).toBe('segstation');
  });
});

describe('data plane with a real volume', () => {
  let direct: Volume;
  let imageId: string;

  beforeAll(async () => {
    direct = await readVolume(IMAGE);
    const meta = await client.request('volume.open', { path: IMAGE, role: 'image' });
    imageId = meta.id;
    expect(meta).toMatchObject({ shape: [128, 128, 62], dtype: 'int16', spacing: [2, 2, 3], min: 0, max: 255 });
  });

  function expectSliceEqual(block: VolumeBlock, axis: 0 | 1 | 2, index: number) {
    const [nx, ny, nz] = direct.shape;
    const shape = [nx, ny, nz];
    shape[axis] = 1;
    expect(block.shape).toEqual(shape);
    expect(block.dtype).toBe(direct.dtype);
    const start: Vec3 = [0, 0, 0];
    start[axis] = index;
    const world = indexToWorld(direct, start);
    block.origin.forEach((o, i) => expect(o).toBeCloseTo(world[i], 9));
    let k = 0;
    let mismatches = 0;
    for (let z = 0; z < nz; z++) {
      if (axis === 2 && z !== index) continue;
      for (let y = 0; y < ny; y++) {
        if (axis === 1 && y !== index) continue;
        for (let x = 0; x < nx; x++) {
          if (axis === 0 && x !== index) continue;
          if (block.data[k++] !== direct.data[(z * ny + y) * nx + x]) mismatches++;
        }
      }
    }
    expect(k).toBe(block.data.length);
    expect(mismatches).toBe(0);
  }

  it.each([
    [0, 0], [0, 64], [0, 127], [1, 0], [1, 70], [1, 127], [2, 0], [2, 31], [2, 61],
  ] as const)('slice axis %i index %i equals the voxels read directly', async (axis, index) => {
    expectSliceEqual(await client.fetchSlice(imageId, axis, index), axis, index);
  });

  it('level 0 is the volume and level 1 is its 2x block mean', async () => {
    const level0 = await client.fetchLevel(imageId, 0);
    expect(Array.from(level0.data)).toEqual(Array.from(direct.data));
    const level1 = await client.fetchLevel(imageId, 1);
    const expected = downsample(direct.data, direct.dtype, direct.shape, 1, [2, 2, 2], 'mean');
    expect(level1.shape).toEqual(expected.shape);
    expect(level1.spacing).toEqual([4, 4, 6]);
    expect(Array.from(level1.data)).toEqual(Array.from(expected.data));
  });

  it.each([
    [0, [0, 0, 0], [128, 128, 62]],
    [0, [5, 17, 40], [3, 7, 2]],
    [0, [127, 127, 61], [1, 1, 1]],
    [1, [10, 3, 1], [20, 9, 4]],
  ] as const)('region of level %i from %j size %j equals the voxels read directly', async (level, start, size) => {
    const block = await client.fetchRegion(imageId, level, [...start], [...size]);
    const source = level === 0 ? { data: direct.data, shape: direct.shape } : downsample(direct.data, direct.dtype, direct.shape, 1, [2, 2, 2], 'mean');
    const [nx, ny] = source.shape;
    const expected: number[] = [];
    for (let z = start[2]; z < start[2] + size[2]; z++) for (let y = start[1]; y < start[1] + size[1]; y++) for (let x = start[0]; x < start[0] + size[0]; x++) expected.push(source.data[(z * ny + y) * nx + x]);
    expect(block.shape).toEqual([...size]);
    expect(Array.from(block.data)).toEqual(expected);
    const f = 2 ** level;
    const world = indexToWorld(direct, [start[0] * f + (f - 1) / 2, start[1] * f + (f - 1) / 2, start[2] * f + (f - 1) / 2]);
    block.origin.forEach((o, i) => expect(o).toBeCloseTo(world[i], 9));
  });

  it('out-of-range requests get typed errors', async () => {
    await expect(client.fetchRegion(imageId, 0, [100, 0, 0], [29, 1, 1])).rejects.toMatchObject({ code: 'input_error', field: 'size' });
    const bad = await rawGet(`/data/volumes/${imageId}/region?level=0&start=1,2&size=1,1,1`, { Authorization: `Bearer ${server.token}` });
    expect(JSON.parse(bad.body.toString())).toMatchObject({ code: 'bad_request', field: 'start' });
    await expect(client.fetchSlice(imageId, 2, 62)).rejects.toMatchObject({ code: 'input_error', field: 'index' });
    await expect(client.fetchLevel(imageId, 9)).rejects.toMatchObject({ code: 'input_error', field: 'level' });
    await expect(client.fetchSlice('v999-none', 0, 0)).rejects.toMatchObject({ code: 'not_found' });
    const malformed = await rawGet('/data/volumes/%ZZ/slice?axis=0&index=0', { Authorization: `Bearer ${server.token}` });
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body.toString())).toMatchObject({ code: 'bad_request', field: 'volumeId' });
    const res = await rawGet(`/data/volumes/${imageId}/slice?axis=3&index=0`, { Authorization: `Bearer ${server.token}` });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body.toString())).toMatchObject({ code: 'bad_request', field: 'axis' });
  });

  it('opens the 7-class segmentation on the image grid, with a label table, and refuses one on another grid', async () => {
    const label = await client.request('volume.open', { path: LABEL, role: 'label', imageId });
    expect(label.role).toBe('label');
    expect(label.imageId).toBe(imageId);
    expect(label.labels?.map((l) => l.value)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const other = sharedPath('debian_itk_examples/BrainProtonDensity3Slices.mha');
    await expect(client.request('volume.open', { path: other, role: 'label', imageId })).rejects.toMatchObject({ code: 'input_error' });
    const coarse = await client.fetchLevel(label.id, 1);
    const values = new Set(coarse.data);
    for (const v of values) expect(v).toBeLessThanOrEqual(6);
  });
});

describe('jobs over the WebSocket', () => {
  it('streams progress events and can be cancelled', async () => {
    const events: EngineEvent[] = [];
    const off = client.onEvent((e) => events.push(e));
    const job = await client.request('job.start', { kind: 'test.count', params: { steps: 500, delayMs: 40 } });
    while (events.filter((e) => e.event === 'job.progress' && e.payload.jobId === job.jobId).length < 2) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await client.request('job.cancel', { jobId: job.jobId });
    while (!events.some((e) => e.event === 'job.finished' && e.payload.jobId === job.jobId)) await new Promise((r) => setTimeout(r, 20));
    off();
    const finished = events.find((e) => e.event === 'job.finished' && e.payload.jobId === job.jobId);
    expect(finished?.payload).toMatchObject({ status: 'cancelled' });
    const progress = events.filter((e) => e.event === 'job.progress' && e.payload.jobId === job.jobId);
    expect(progress[0].payload).toMatchObject({ kind: 'test.count', total: 500 });
    expect((await client.request('job.get', { jobId: job.jobId })).status).toBe('cancelled');
  });

  it('rejects bad job params with a typed error naming the field', async () => {
    await expect(client.request('job.start', { kind: 'test.count', params: { steps: -1, delayMs: 1 } })).rejects.toMatchObject({
      code: 'input_error',
      field: 'params.steps',
    });
    await expect(client.request('job.start', { kind: 'nope', params: {} })).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('client reconnects after a socket drop', () => {
  it('serves requests again on a new socket once the engine is back', async () => {
    const tmpServer = await startWebServer({ engine, staticDir: tmp });
    const c = createWebClient({ baseUrl: tmpServer.url, token: tmpServer.token, WebSocket: WebSocket as unknown as SocketConstructor, reconnectDelayMs: 50 });
    await c.ready();
    expect((await c.request('engine.info', {})).name).toBe('segstation');
    const port = tmpServer.port;
    await tmpServer.close();
    // Let the client see the drop, so the next request waits for the reconnect instead of using the dead socket.
    await new Promise((r) => setTimeout(r, 200));
    const again = await startWebServer({ engine, staticDir: tmp, port, token: tmpServer.token });
    try {
      expect((await c.request('engine.info', {})).name).toBe('segstation');
    } finally {
      c.close();
      await again.close();
    }
  });
});
