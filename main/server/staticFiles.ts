/** Serves the built renderer (`dist/renderer/`): known MIME types only, no escape from the folder, SPA fallback. */
import { promises as fs } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';

export const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** The file a URL path names inside `root`, or null when it would leave `root` or names a hidden file. */
export function resolveStatic(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const parts = decoded.split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '..' || p.startsWith('.'))) return null;
  const file = path.resolve(root, ...parts);
  const rootAbs = path.resolve(root);
  return file === rootAbs || file.startsWith(rootAbs + path.sep) ? file : null;
}

const MISSING_BUILD_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Segstation</title></head>
<body><h1>Segstation web mode</h1><p>The viewer is not built yet. Run <code>npm run build:renderer</code>, then reload.</p>
<p>The engine is running: the WebSocket API at <code>/ws</code> and the data plane at <code>/data/</code> answer.</p></body></html>`;

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Whether `file`, links resolved, still lies inside `root` (a symbolic link must not lead out of the folder). */
export async function staysInside(root: string, file: string): Promise<boolean> {
  try {
    const [realRoot, realFile] = await Promise.all([fs.realpath(root), fs.realpath(file)]);
    return realFile === realRoot || realFile.startsWith(realRoot + path.sep);
  } catch {
    return false;
  }
}

/**
 * Answers a GET for a static path. Unknown extensions are refused (415) rather than sent with a guessed type; a path
 * without an extension that names no file gets index.html (client-side routes).
 */


export async function serveStatic(root: string, urlPath: string, response: ServerResponse, headers: Record<string, string>): Promise<void> {
  const index = path.join(root, 'index.html');
  if (!(await isFile(index))) {
    response.writeHead(200, { ...headers, 'Content-Type': MIME_TYPES['.html'] });
    response.end(MISSING_BUILD_PAGE);
    return;
  }
  let file = urlPath === '/' ? index : resolveStatic(root, urlPath);
  if (file === null) {
    response.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
    response.end('not found');
    return;
  }
  if (!(await isFile(file))) {
    if (path.extname(file) !== '') {
      response.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('not found');
      return;
    }
    file = index;
  }
  if (!(await staysInside(root, file))) {
    response.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
    response.end('not found');
    return;
  }
  const type = MIME_TYPES[path.extname(file).toLowerCase()];
  if (!type) {
    response.writeHead(415, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
    response.end('unsupported file type');
    return;
  }
  const body = await fs.readFile(file);
  response.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': String(body.length) });
  response.end(body);
}
