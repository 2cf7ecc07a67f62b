/** The per-start secret of web mode and its check on every HTTP request and WebSocket upgrade. */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Cookie set when the page is opened with ?token=, so the page's own assets load without a token in their URLs. */
export function tokenCookieName(port: number): string {
  return `segstation_token_${port}`;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export type TokenSource = 'header' | 'query' | 'cookie';

/** Where the request carried the right token, or null when it did not. */
export function authenticate(request: IncomingMessage, url: URL, token: string, port: number): TokenSource | null {
  const header = request.headers.authorization;
  if (typeof header === 'string' && header.startsWith('Bearer ') && sameSecret(header.slice(7).trim(), token)) return 'header';
  const query = url.searchParams.get('token');
  if (query !== null && sameSecret(query, token)) return 'query';
  const cookies = request.headers.cookie ?? '';
  const name = tokenCookieName(port);
  for (const part of cookies.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name && sameSecret(decodeURIComponent(value.join('=')), token)) return 'cookie';
  }
  return null;
}

/**
 * Guards against DNS rebinding: the Host header must name the loopback address we listen on, and a browser's Origin
 * (when sent) must be this server or one of `extraOrigins` (a renderer dev server, e.g. 'http://localhost:5173').
 */
export function sameOriginRequest(request: IncomingMessage, port: number, extraOrigins: readonly string[] = []): boolean {
  const allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  const host = request.headers.host;
  if (!host || !allowedHosts.has(host.toLowerCase())) return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (extraOrigins.includes(origin)) return true;
  try {
    const o = new URL(origin);
    return (o.protocol === 'http:' || o.protocol === 'ws:') && allowedHosts.has(o.host.toLowerCase());
  } catch {
    return false;
  }
}
