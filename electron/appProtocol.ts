/**
 * Serves the built renderer on app://renderer/ with the strict CSP; nothing outside dist/renderer is reachable, except
 * the open project's training-run sample pictures at the same paths web mode serves them
 * (`/data/runs/<run>/samples/<file>.png`, checked by main/server/runSampleRoute.ts).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MIME_TYPES, resolveStatic, staysInside } from '../main/server/staticFiles.ts';
import { parseRunSamplePath, readRunSample } from '../main/server/runSampleRoute.ts';
import { APP_HOST } from './channels.ts';
import { ELECTRON_CSP } from './windowOptions.ts';

const MISSING_BUILD_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Segstation</title></head>
<body><h1>Segstation</h1><p>The viewer is not built. Run <code>npm run build:renderer</code> and restart.</p></body></html>`;

function respond(status: number, body: string | Uint8Array, type: string): Response {
  return new Response(typeof body === 'string' ? body : new Uint8Array(body), {
    status,
    headers: { 'Content-Type': type, 'Content-Security-Policy': ELECTRON_CSP, 'X-Content-Type-Options': 'nosniff' },
  });
}

export async function serveAppRequest(rendererDir: string, requestUrl: string, currentProject: () => string | null = () => null): Promise<Response> {
  const url = new URL(requestUrl);
  if (url.host !== APP_HOST) return respond(404, 'not found', 'text/plain; charset=utf-8');
  const sampleRequest = parseRunSamplePath(url.pathname);
  if (sampleRequest) {
    const sample = await readRunSample(currentProject(), sampleRequest.runId, sampleRequest.file);
    if ('code' in sample) return respond(sample.code === 'bad_request' ? 400 : 404, sample.message, 'text/plain; charset=utf-8');
    return respond(200, sample.bytes, 'image/png');
  }
  const index = path.join(rendererDir, 'index.html');
  const exists = async (f: string) => fs.stat(f).then((s) => s.isFile(), () => false);
  if (!(await exists(index))) return respond(200, MISSING_BUILD_PAGE, MIME_TYPES['.html']);
  let file = url.pathname === '/' ? index : resolveStatic(rendererDir, url.pathname);
  if (file === null) return respond(404, 'not found', 'text/plain; charset=utf-8');
  if (!(await exists(file))) {
    if (path.extname(file) !== '') return respond(404, 'not found', 'text/plain; charset=utf-8');
    file = index;
  }
  if (!(await staysInside(rendererDir, file))) return respond(404, 'not found', 'text/plain; charset=utf-8');
  const type = MIME_TYPES[path.extname(file).toLowerCase()];
  if (!type) return respond(415, 'unsupported file type', 'text/plain; charset=utf-8');
  return respond(200, await fs.readFile(file), type);
}
