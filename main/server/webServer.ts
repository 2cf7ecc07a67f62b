/**
 * Web mode: the viewer page, the contract over a WebSocket (`/ws`) and the binary data plane (`/data/...`), on the
 * loopback interface only, every request authenticated with a per-start random token.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { ResponseMessage } from '../../ipc/contract.ts';
import type { Engine } from '../services/engine.ts';
import { InputError } from '../util/errors.ts';
import { authenticate, newToken, sameOriginRequest, tokenCookieName } from './auth.ts';
import { contentSecurityPolicy } from './csp.ts';
import { handleDataPlane, sendError } from './dataPlaneRoutes.ts';
import { handleReportFile } from './reportFiles.ts';
import { handleRunSample } from './runSampleRoute.ts';
import { serveStatic } from './staticFiles.ts';
import { handleUpload } from './uploadRoute.ts';

export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'] as const;
/** Largest WebSocket message accepted (requests are small JSON; voxels use the data plane). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

export interface WebServerOptions {
  engine: Engine;
  /** Loopback only (default 127.0.0.1). */
  host?: string;
  /** 0 picks a free port (default 0). */
  port?: number;
  /** Default: a fresh random token. */
  token?: string;
  /** Folder of the built renderer. */
  staticDir: string;
  /** Browser origins besides this server allowed to call it (a renderer dev server); default none. */
  allowedOrigins?: string[];
  /** Largest file `POST /data/uploads` accepts (default uploadRoute.ts DEFAULT_MAX_UPLOAD_BYTES). */
  maxUploadBytes?: number;
}

export interface WebServer {
  /** http://host:port */
  url: string;
  /** The URL to open in a browser, token included. */
  pageUrl: string;
  token: string;
  port: number;
  /**
   * Cuts every open connection the way a network drop would (WebSocket clients terminated without a close frame, HTTP
   * connections destroyed) and keeps listening, so pages reconnect on their own. Returns the WebSockets cut.
   */
  dropConnections(): number;
  close(): Promise<void>;
}

function securityHeaders(port: number): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy({ connect: [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`] }),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = JSON.stringify({ code: 'unauthorized', message: reason });
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Not Found'}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function send(ws: WebSocket, message: unknown): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
}

/** One WebSocket: requests in, responses and engine events out. Nothing a client sends can close it or the server. */
function serveSocket(engine: Engine, ws: WebSocket): void {
  const unsubscribe = engine.onEvent((event) => send(ws, event));
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) {
      send(ws, { id: null, error: { code: 'bad_request', message: 'binary messages are not accepted: send JSON text' } } satisfies ResponseMessage);
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString());
    } catch {
      send(ws, { id: null, error: { code: 'bad_request', message: 'message is not valid JSON' } } satisfies ResponseMessage);
      return;
    }
    void engine.dispatch(raw).then((response) => send(ws, response));
  });
  ws.on('close', unsubscribe);
  ws.on('error', unsubscribe);
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const host = options.host ?? '127.0.0.1';
  if (!(LOOPBACK_HOSTS as readonly string[]).includes(host)) {
    throw new InputError('--host', `web mode listens on the loopback interface only (${LOOPBACK_HOSTS.join(', ')}), got '${host}'`);
  }
  const token = options.token ?? newToken();
  const { engine } = options;
  let port = options.port ?? 0;
  const origins = options.allowedOrigins ?? [];
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const headers = securityHeaders(port);
    const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
    if (!sameOriginRequest(request, port, origins)) {
      sendError(response, { code: 'unauthorized', message: 'request from another origin or host' }, headers);
      return;
    }
    const source = authenticate(request, url, token, port);
    if (!source) {
      sendError(response, { code: 'unauthorized', message: 'missing or wrong token' }, { ...headers, 'WWW-Authenticate': 'Bearer' });
      return;
    }
    // The one POST route: files dropped on the page (project workspace, issue 7).
    if (await handleUpload(engine, request, url, response, headers, options.maxUploadBytes !== undefined ? { maxBytes: options.maxUploadBytes } : {})) return;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendError(response, { code: 'bad_request', message: `method ${request.method} is not allowed` }, { ...headers, Allow: 'GET, HEAD' });
      return;
    }
    if (source === 'query') {
      headers['Set-Cookie'] = `${tokenCookieName(port)}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
    }
    if (url.pathname === '/ws') {
      sendError(response, { code: 'bad_request', message: '/ws expects a WebSocket upgrade' }, headers);
      return;
    }
    if (await handleRunSample(engine, url, response, headers, request.method === 'HEAD')) return;
    if (await handleReportFile(engine, url, response, headers, request.method === 'HEAD')) return;
    if (await handleDataPlane(engine, url, response, headers, request.method === 'HEAD')) return;
    await serveStatic(options.staticDir, url.pathname, response, headers);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, { code: 'internal', message: String(error) }, securityHeaders(port));
      else response.destroy();
    });
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname !== '/ws') return rejectUpgrade(socket, 404, 'no WebSocket at this path');
    if (!sameOriginRequest(request, port, origins)) return rejectUpgrade(socket, 403, 'request from another origin or host');
    if (!authenticate(request, url, token, port)) return rejectUpgrade(socket, 401, 'missing or wrong token');
    wss.handleUpgrade(request, socket, head, (ws) => serveSocket(engine, ws));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const urlHost = host === '::1' ? '[::1]' : host;
  const url = `http://${urlHost}:${port}`;
  return {
    url,
    pageUrl: `${url}/?token=${encodeURIComponent(token)}`,
    token,
    port,
    dropConnections: () => {
      const sockets = [...wss.clients];
      for (const client of sockets) client.terminate();
      server.closeAllConnections();
      return sockets.length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
