// GET /data/reports/<file>: reports of the open project served in web mode, behind the token, never outside reports/.
import { symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initProject } from '../../../main/dataset/index.ts';
import type { Engine } from '../../../main/services/engine.ts';
import { resolveReportFile } from '../../../main/server/reportFiles.ts';
import type { WebServer } from '../../../main/server/webServer.ts';
import { startTestWebServer, stopTestWebServer } from '../../helpers/webServer.ts';

let tmp: string;
let project: string;
let engine: Engine;
let server: WebServer;

beforeAll(async () => {
  ({ tmp, engine, server } = await startTestWebServer('segstation-reports-'));
  project = path.join(tmp, 'project');
  await initProject(project, { name: 'reports' });
  writeFileSync(path.join(project, 'reports', 'report-a.pdf'), '%PDF-1.4 fake');
  writeFileSync(path.join(project, 'reports', 'report-a.html'), '<!doctype html><p>report</p>');
  writeFileSync(path.join(tmp, 'secret.pdf'), 'TOP-SECRET-BYTES');
  symlinkSync(path.join(tmp, 'secret.pdf'), path.join(project, 'reports', 'link.pdf'));
});

afterAll(async () => {
  await stopTestWebServer({ tmp, engine, server });
});

/** A raw GET so the path is sent exactly as written (fetch would normalise '..'). */
function rawGet(pathname: string, token: string | null): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path: pathname, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('report route', () => {
  it('answers 404 while no project is open', async () => {
    const r = await rawGet('/data/reports/report-a.pdf', server.token);
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body).message).toMatch(/no project is open/);
  });

  it('serves a report of the open project with the token, and nothing without it', async () => {
    await engine.call('project.open', { dir: project });
    const pdf = await rawGet('/data/reports/report-a.pdf', server.token);
    expect(pdf.status).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.body).toBe('%PDF-1.4 fake');
    const noToken = await rawGet('/data/reports/report-a.pdf', null);
    expect(noToken.status).toBe(401);
    expect(noToken.body).not.toContain('PDF');
    const wrong = await rawGet('/data/reports/report-a.pdf', 'wrong-token');
    expect(wrong.status).toBe(401);
  });

  it('serves HTML sandboxed, with nothing to fetch', async () => {
    const html = await rawGet('/data/reports/report-a.html', server.token);
    expect(html.status).toBe(200);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.headers['content-security-policy']).toMatch(/sandbox/);
    expect(html.headers['content-security-policy']).toMatch(/default-src 'none'/);
  });

  it.each([
    ['/data/reports/..%2Fcatalogue.sqlite', 400],
    ['/data/reports/..%2F..%2Fsecret.pdf', 400],
    ['/data/reports/%2E%2E%2Fsecret.pdf', 400],
    ['/data/reports/sub%2Freport-a.pdf', 400],
    ['/data/reports/.hidden.pdf', 400],
    ['/data/reports/report-a.txt', 400],
    ['/data/reports/%E0%A4%A.pdf', 400],
    ['/data/reports/link.pdf', 404],
    ['/data/reports/missing.pdf', 404],
  ])('refuses %s with %i', async (url, status) => {
    const r = await rawGet(url, server.token);
    expect(r.status).toBe(status);
    expect(r.body).not.toContain('TOP-SECRET-BYTES');
  });

  it('resolveReportFile never leaves the reports folder', async () => {
    expect(await resolveReportFile(project, 'report-a.pdf')).toEqual({ file: path.join(await import('node:fs').then((fs) => fs.realpathSync(project)), 'reports', 'report-a.pdf') });
    expect(await resolveReportFile(project, '../catalogue.sqlite')).toMatchObject({ status: 'bad_request' });
    expect(await resolveReportFile(project, 'link.pdf')).toMatchObject({ status: 'not_found' });
  });
});
