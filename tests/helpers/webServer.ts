// A web-mode engine and server over a fresh temporary folder, for the server tests: started in a file's beforeAll,
// stopped (and the folder removed) in its afterAll.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../main/services/engine.ts';
import { startWebServer, type WebServer, type WebServerOptions } from '../../main/server/webServer.ts';

export interface TestWebServer {
  /** The temporary folder: the engine's recent-projects file and the server's static folder live in it. */
  tmp: string;
  engine: Engine;
  server: WebServer;
}

export async function startTestWebServer(prefix: string, options: Omit<WebServerOptions, 'engine' | 'staticDir'> = {}): Promise<TestWebServer> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), prefix));
  const engine = new Engine({ transport: 'web', recentFile: path.join(tmp, 'recent.json') });
  const server = await startWebServer({ ...options, engine, staticDir: tmp });
  return { tmp, engine, server };
}

/** Stops what startTestWebServer started, whatever part of it did start. */
export async function stopTestWebServer(started: Partial<TestWebServer>): Promise<void> {
  await started.server?.close();
  started.engine?.dispose();
  if (started.tmp) rmSync(started.tmp, { recursive: true, force: true });
}
