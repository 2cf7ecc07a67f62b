/**
 * `POST /data/uploads?name=FILE`: the bytes of one file dropped on the page (web mode: the browser has bytes, not
 * paths), streamed to `<project>/uploads/<random>/FILE` of the engine's current project, so that case.validate and
 * case.import can then take its path. The body goes to a temporary name and is renamed when complete, so a cut or
 * oversize upload leaves nothing behind. Authentication and the origin check happen before (webServer.ts).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UPLOAD_ROUTE, type EngineError, type UploadResult } from '../../ipc/contract.ts';
import type { Engine } from '../services/engine.ts';
import { InputError } from '../util/errors.ts';

/** Default largest upload: 4 GiB (a large tomogram). */
export const DEFAULT_MAX_UPLOAD_BYTES = 4 * 1024 ** 3;
/** Folder of a project that holds uploaded files. */
export const UPLOADS_FOLDER = 'uploads';
/** Upload folders older than this are removed at the next upload (their files were imported or abandoned). */
const STALE_UPLOAD_MS = 24 * 3600 * 1000;

export interface UploadOptions {
  maxBytes?: number;
}

/** A stored file name from the client's `name`: one path segment of ordinary characters, nothing hidden. */
export function uploadFileName(name: string | null): string {
  if (name === null || name === '') throw new InputError('name', 'is missing: give the file name as ?name=');
  if (name.length > 200) throw new InputError('name', 'is longer than 200 characters');
  if (/[/\\\0]/.test(name)) throw new InputError('name', `must be a file name without folders, got '${name}'`);
  if (!/^[A-Za-z0-9][A-Za-z0-9._ ()+-]*$/.test(name)) {
    throw new InputError('name', `'${name}' must start with a letter or digit and hold only letters, digits, spaces and . _ ( ) + -`);
  }
  return name;
}

class UploadTooLarge extends Error {}

/**
 * Passes bytes through up to `limit`, then swallows the rest and marks `exceeded`: failing the pipeline instead would
 * destroy the request and its socket before the 413 answer could go out.
 */
function byteLimit(limit: number): Transform & { bytes: number; exceeded: boolean } {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      counter.bytes += chunk.length;
      if (counter.bytes > limit) counter.exceeded = true;
      if (counter.exceeded) callback();
      else callback(null, chunk);
    },
  }) as Transform & { bytes: number; exceeded: boolean };
  counter.bytes = 0;
  counter.exceeded = false;
  return counter;
}

function sendJson(response: ServerResponse, status: number, body: EngineError | UploadResult, headers: Record<string, string>): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) });
  response.end(text);
}

function tooLarge(response: ServerResponse, maxBytes: number, headers: Record<string, string>): void {
  // The body may not have been read (a declared length over the limit): close the connection after answering.
  sendJson(response, 413, { code: 'bad_request', message: `upload is larger than the limit of ${maxBytes} bytes`, field: 'body' }, { ...headers, Connection: 'close' });
}

async function removeStaleUploads(folder: string, now: number): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(folder);
  } catch {
    return;
  }
  for (const name of names) {
    const full = path.join(folder, name);
    try {
      if (now - (await fs.stat(full)).mtimeMs > STALE_UPLOAD_MS) await fs.rm(full, { recursive: true, force: true });
    } catch {
      // Best effort: another upload may be using or removing it.
    }
  }
}

/** Stores the request body of one upload and returns where it is. Throws InputError / UploadTooLarge. */
async function storeUpload(engine: Engine, request: IncomingMessage, name: string, maxBytes: number): Promise<UploadResult> {
  const project = engine.projects.current;
  if (!project) throw new InputError('project', 'no project is open: create or open one first (uploads are kept in its uploads/ folder)');
  const root = path.join(project.dir, UPLOADS_FOLDER);
  await removeStaleUploads(root, Date.now());
  const folder = path.join(root, randomBytes(8).toString('hex'));
  const target = path.join(folder, name);
  // uploadFileName allows no separators; this keeps that promise should it ever change.
  if (path.dirname(target) !== folder) throw new InputError('name', 'must name a file inside the upload folder');
  const partial = path.join(folder, `.${name}.part`);
  await fs.mkdir(folder, { recursive: true });
  const limit = byteLimit(maxBytes);
  try {
    await pipeline(request, limit, createWriteStream(partial, { flags: 'wx' }));
    if (limit.exceeded) throw new UploadTooLarge();
    if (limit.bytes === 0) throw new InputError(name, 'the uploaded file is empty');
    await fs.rename(partial, target);
  } catch (error) {
    await fs.rm(folder, { recursive: true, force: true });
    throw error;
  }
  return { path: target, name, size: limit.bytes };
}

/** Answers the upload route; returns false for any other path. */
export async function handleUpload(
  engine: Engine,
  request: IncomingMessage,
  url: URL,
  response: ServerResponse,
  headers: Record<string, string>,
  options: UploadOptions = {},
): Promise<boolean> {
  if (url.pathname !== UPLOAD_ROUTE) return false;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  if (request.method !== 'POST') {
    sendJson(response, 405, { code: 'bad_request', message: `${UPLOAD_ROUTE} takes POST, not ${request.method}` }, { ...headers, Allow: 'POST' });
    return true;
  }
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    tooLarge(response, maxBytes, headers);
    return true;
  }
  try {
    const result = await storeUpload(engine, request, uploadFileName(url.searchParams.get('name')), maxBytes);
    sendJson(response, 200, result, headers);
  } catch (error) {
    if (error instanceof UploadTooLarge) {
      tooLarge(response, maxBytes, headers);
    } else if (error instanceof InputError) {
      sendJson(response, 400, { code: 'input_error', message: error.message, field: error.subject }, headers);
    } else {
      sendJson(response, 500, { code: 'internal', message: error instanceof Error ? error.message : String(error) }, headers);
    }
  }
  return true;
}
