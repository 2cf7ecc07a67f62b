/**
 * Data-plane route of a training run's sample pictures: `GET /data/runs/:runId/samples/:file`, a PNG from
 * `<current project>/runs/<runId>/samples/` (written by main/training/runs/samples.ts). The caller is already
 * authenticated (webServer.ts checks the token first); here the names are checked so nothing outside that folder of the
 * engine's open project can be read.
 */
import { promises as fs } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import type { Engine } from '../services/engine.ts';
import { sendError } from './dataPlaneRoutes.ts';

const ROUTE = /^\/data\/runs\/([^/]+)\/samples\/([^/]+)$/;
const RUN_ID = /^[A-Za-z0-9._-]{1,200}$/;
/** Only what samples.ts writes: URL-safe names ending in .png, never hidden (temporary files start with '.'). */
const SAMPLE_FILE = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}\.png$/;

function decoded(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** The checked absolute path of a sample, or a reason why the request is refused. */
export function samplePath(projectDir: string, runId: string, file: string): { path: string } | { field: 'runId' | 'file'; problem: string } {
  if (!RUN_ID.test(runId) || runId === '.' || runId === '..') return { field: 'runId', problem: 'must be 1-200 characters of A-Z a-z 0-9 . _ - (not . or ..)' };
  if (!SAMPLE_FILE.test(file) || file.includes('..')) return { field: 'file', problem: "must be a sample file name: A-Z a-z 0-9 . _ - ending in '.png'" };
  const runs = path.resolve(projectDir, 'runs');
  const full = path.resolve(runs, runId, 'samples', file);
  if (!full.startsWith(runs + path.sep)) return { field: 'file', problem: 'is outside the project runs folder' };
  return { path: full };
}

/** Answers the route; false when the URL is not this route (so the other data-plane routes get it). */
export async function handleRunSample(engine: Engine, url: URL, response: ServerResponse, headers: Record<string, string>, head = false): Promise<boolean> {
  const match = ROUTE.exec(url.pathname);
  if (!match) return false;
  const runId = decoded(match[1]);
  const file = decoded(match[2]);
  const project = engine.projects.current;
  if (!project) {
    sendError(response, { code: 'not_found', message: 'no project is open: run samples belong to the open project' }, headers);
    return true;
  }
  const checked = samplePath(project.dir, runId ?? '', file ?? '');
  if ('problem' in checked) {
    sendError(response, { code: 'bad_request', message: `${checked.field}: ${checked.problem}`, field: checked.field }, headers);
    return true;
  }
  let bytes: Buffer;
  try {
    // lstat first: a link placed in the folder must not lead elsewhere.
    const stat = await fs.lstat(checked.path);
    if (!stat.isFile()) throw new Error('not a file');
    bytes = await fs.readFile(checked.path);
  } catch {
    sendError(response, { code: 'not_found', message: `run ${runId} has no sample ${file} in project ${project.dir}`, field: 'file' }, headers);
    return true;
  }
  response.writeHead(200, { ...headers, 'Content-Type': 'image/png', 'Content-Length': String(bytes.length) });
  response.end(head ? undefined : bytes);
  return true;
}
