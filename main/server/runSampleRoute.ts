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

/** A sample's bytes, or why not: the one check both transports use (web route here, Electron's app:// protocol). */
export async function readRunSample(projectDir: string | null | undefined, runId: string, file: string): Promise<{ bytes: Buffer } | { code: 'bad_request' | 'not_found'; message: string; field?: string }> {
  if (!projectDir) return { code: 'not_found', message: 'no project is open: run samples belong to the open project' };
  const checked = samplePath(projectDir, runId, file);
  if ('problem' in checked) return { code: 'bad_request', message: `${checked.field}: ${checked.problem}`, field: checked.field };
  try {
    // lstat first: a link placed in the folder must not lead elsewhere.
    const stat = await fs.lstat(checked.path);
    if (!stat.isFile()) throw new Error('not a file');
    return { bytes: await fs.readFile(checked.path) };
  } catch {
    return { code: 'not_found', message: `run ${runId} has no sample ${file} in project ${projectDir}`, field: 'file' };
  }
}

/** The run id and file of a sample URL path, or null for any other path (or a malformed escape). */
export function parseRunSamplePath(pathname: string): { runId: string; file: string } | null {
  const match = ROUTE.exec(pathname);
  if (!match) return null;
  const runId = decoded(match[1]);
  const file = decoded(match[2]);
  return { runId: runId ?? '', file: file ?? '' };
}

/** Answers the route; false when the URL is not this route (so the other data-plane routes get it). */
export async function handleRunSample(engine: Engine, url: URL, response: ServerResponse, headers: Record<string, string>, head = false): Promise<boolean> {
  const request = parseRunSamplePath(url.pathname);
  if (!request) return false;
  const sample = await readRunSample(engine.projects.current?.dir, request.runId, request.file);
  if ('code' in sample) {
    sendError(response, { code: sample.code, message: sample.message, ...(sample.field ? { field: sample.field } : {}) }, headers);
    return true;
  }
  response.writeHead(200, { ...headers, 'Content-Type': 'image/png', 'Content-Length': String(sample.bytes.length) });
  response.end(head ? undefined : sample.bytes);
  return true;
}
