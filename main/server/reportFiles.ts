/**
 * `GET /data/reports/<file>`: a report written into the open project's `reports/` folder (report.export from the
 * report workspace), so the page can link to it in web mode. Only plain names ending in .html or .pdf are served, and
 * only when the resolved file lies inside that folder (no '..', no links out of it). The token was checked by the web
 * server before this route runs. HTML reports are self-contained: they are served sandboxed with nothing to fetch.
 */
import { promises as fs } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import type { Engine } from '../services/engine.ts';
import { sendError } from './dataPlaneRoutes.ts';

const PREFIX = '/data/reports/';
/** A file name of the reports folder: no separators, no leading dot. */
const REPORT_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}\.(html?|pdf)$/i;

const CONTENT_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.htm': 'text/html; charset=utf-8', '.pdf': 'application/pdf' };
/** A report page may show its inline styles and data-URI images, nothing else; sandboxed so it cannot reach the engine. */
const REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox";

/** Path of the report `name` in the open project's reports folder, or an error to answer with. */
export async function resolveReportFile(projectDir: string | null | undefined, name: string): Promise<{ file: string } | { status: 'bad_request' | 'not_found'; message: string }> {
  if (!REPORT_NAME.test(name)) return { status: 'bad_request', message: `'${name}' is not a report file name (letters, digits, . _ -, ending in .html or .pdf)` };
  if (!projectDir) return { status: 'not_found', message: 'no project is open' };
  let folder: string;
  let file: string;
  try {
    folder = await fs.realpath(path.join(projectDir, 'reports'));
    file = await fs.realpath(path.join(folder, name));
  } catch {
    return { status: 'not_found', message: `no report ${name} in the open project` };
  }
  if (path.dirname(file) !== folder) return { status: 'not_found', message: `no report ${name} in the open project` };
  const stat = await fs.stat(file);
  if (!stat.isFile()) return { status: 'not_found', message: `no report ${name} in the open project` };
  return { file };
}

/** Answers `/data/reports/...`; returns false for any other path. */
export async function handleReportFile(engine: Engine, url: URL, response: ServerResponse, headers: Record<string, string>, head = false): Promise<boolean> {
  if (!url.pathname.startsWith(PREFIX)) return false;
  let name: string;
  try {
    name = decodeURIComponent(url.pathname.slice(PREFIX.length));
  } catch {
    sendError(response, { code: 'bad_request', message: 'malformed report name' }, headers);
    return true;
  }
  const found = await resolveReportFile(engine.projects.current?.dir, name);
  if (!('file' in found)) {
    sendError(response, { code: found.status, message: found.message }, headers);
    return true;
  }
  const bytes = await fs.readFile(found.file);
  const ext = path.extname(found.file).toLowerCase();
  const out: Record<string, string> = {
    ...headers,
    'Content-Type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
    'Content-Length': String(bytes.length),
    'Content-Disposition': `inline; filename="${path.basename(found.file)}"`,
  };
  if (ext === '.pdf') delete out['Content-Security-Policy']; // the browser's PDF viewer is a plugin the page CSP would block
  else out['Content-Security-Policy'] = REPORT_CSP;
  response.writeHead(200, out);
  response.end(head ? undefined : bytes);
  return true;
}
