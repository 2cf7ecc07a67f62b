// POST /data/uploads: a dropped file's bytes stored in the current project's uploads/ folder, and everything it must
// refuse — no token, no project, a bad or escaping name, an empty or oversize body (declared or streamed), other methods.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UploadResultSchema } from '../../../ipc/contract.ts';
import type { Engine } from '../../../main/services/engine.ts';
import { UPLOADS_FOLDER, uploadFileName } from '../../../main/server/uploadRoute.ts';
import type { WebServer } from '../../../main/server/webServer.ts';
import { startTestWebServer, stopTestWebServer } from '../../helpers/webServer.ts';

const LIMIT = 1000;
let tmp: string;
let engine: Engine;
let server: WebServer;
let projectDir: string;

const auth = () => ({ Authorization: `Bearer ${server.token}` });
const upload = (name: string, body: NonNullable<RequestInit['body']>, headers: Record<string, string> = auth()) =>
  fetch(`${server.url}/data/uploads?name=${encodeURIComponent(name)}`, { method: 'POST', body, headers, duplex: 'half' } as RequestInit);
const uploadsLeft = () => (existsSync(path.join(projectDir, UPLOADS_FOLDER)) ? readdirSync(path.join(projectDir, UPLOADS_FOLDER)) : []);

beforeAll(async () => {
  ({ tmp, engine, server } = await startTestWebServer('segstation-upload-', { maxUploadBytes: LIMIT }));
  projectDir = path.join(tmp, 'project');
});

afterAll(async () => {
  await stopTestWebServer({ tmp, engine, server });
});

describe('upload route', () => {
  it('refuses an upload before a project is open', async () => {
    const response = await upload('a.nii.gz', new Uint8Array(10));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'input_error', field: 'project', message: expect.stringMatching(/no project is open/) });
  });

  it('stores the bytes under the project and answers the path', async () => {
    await engine.call('project.create', { dir: projectDir });
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => i % 251);
    const response = await upload('case 1 (a).nii.gz', bytes);
    expect(response.status).toBe(200);
    const result = UploadResultSchema.parse(await response.json());
    expect(result.name).toBe('case 1 (a).nii.gz');
    expect(result.size).toBe(300);
    expect(path.dirname(path.dirname(result.path))).toBe(path.join(projectDir, UPLOADS_FOLDER));
    expect(path.basename(result.path)).toBe('case 1 (a).nii.gz');
    expect(new Uint8Array(readFileSync(result.path))).toEqual(bytes);
    // Only the finished file: no temporary '.part' left beside it.
    expect(readdirSync(path.dirname(result.path))).toEqual(['case 1 (a).nii.gz']);
  });

  it('gives each upload its own folder, so two files of the same name do not collide', async () => {
    const a = UploadResultSchema.parse(await (await upload('same.nrrd', new Uint8Array([1]))).json());
    const b = UploadResultSchema.parse(await (await upload('same.nrrd', new Uint8Array([2]))).json());
    expect(a.path).not.toBe(b.path);
    expect([...readFileSync(a.path)]).toEqual([1]);
    expect([...readFileSync(b.path)]).toEqual([2]);
  });

  it.each([
    ['without a token', {}],
    ['with a wrong token', { Authorization: 'Bearer wrong' }],
  ])('answers 401 %s and stores nothing', async (_what, headers) => {
    const before = uploadsLeft().length;
    const response = await upload('x.nii', new Uint8Array(5), headers);
    expect(response.status).toBe(401);
    expect(uploadsLeft().length).toBe(before);
  });

  it.each([
    ['', /name: is missing/],
    ['../escape.nii', /name: must be a file name without folders/],
    ['..', /name: '..' must start with a letter or digit/],
    ['.hidden', /name: '.hidden' must start/],
    ['a/b.nii', /without folders/],
    ['a\\b.nii', /without folders/],
    ['semi;colon.nii', /must start with a letter or digit and hold only/],
    ['x'.repeat(201), /longer than 200/],
  ])('refuses the name %j', async (name, message) => {
    const before = uploadsLeft().length;
    const response = await upload(name, new Uint8Array(5));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'input_error', field: 'name', message: expect.stringMatching(message) });
    expect(uploadsLeft().length).toBe(before);
    expect(existsSync(path.join(tmp, 'escape.nii'))).toBe(false);
  });

  it('refuses an empty body and leaves no folder', async () => {
    const before = uploadsLeft().length;
    const response = await upload('empty.nii', new Uint8Array(0));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ message: expect.stringMatching(/empty\.nii: the uploaded file is empty/) });
    expect(uploadsLeft().length).toBe(before);
  });

  it('answers 413 to a declared length over the limit, without storing it', async () => {
    const before = uploadsLeft().length;
    const response = await upload('big.nii', new Uint8Array(LIMIT + 1));
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 'bad_request', message: `upload is larger than the limit of ${LIMIT} bytes` });
    expect(uploadsLeft().length).toBe(before);
  });

  it('answers 413 to a streamed body (no length) that grows over the limit, and removes what it wrote', async () => {
    const before = uploadsLeft().length;
    const chunks = [new Uint8Array(600), new Uint8Array(600)];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const response = await upload('streamed.nii', stream);
    expect(response.status).toBe(413);
    expect(uploadsLeft().length).toBe(before);
  });

  it('takes POST only', async () => {
    const response = await fetch(`${server.url}/data/uploads?name=a.nii`, { headers: auth() });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('other data-plane routes still refuse POST', async () => {
    const response = await fetch(`${server.url}/data/volumes/v1/level/0`, { method: 'POST', headers: auth(), body: 'x' });
    expect(response.status).toBe(400);
  });
});

describe('uploadFileName', () => {
  it.each(['a.nii.gz', 'Case_01-T1.nrrd', 'scan (2).mha', '7.tif', 'a+b.h5'])('keeps %j', (name) => {
    expect(uploadFileName(name)).toBe(name);
  });
  it.each([null, '', '.', '..', '../a', 'a/../../b', '/abs.nii', 'nul\0.nii', ' lead.nii'])('refuses %j', (name) => {
    expect(() => uploadFileName(name)).toThrow(/^name: /);
  });
});
