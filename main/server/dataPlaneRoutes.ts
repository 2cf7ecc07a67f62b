/**
 * HTTP routes of the binary data plane: `/data/volumes/:id/slice?axis=A&index=N`, `/data/volumes/:id/level/:k` and
 * `/data/volumes/:id/region?level=k&start=x,y,z&size=a,b,c` (a window of a level).
 */
import type { ServerResponse } from 'node:http';
import { LevelRequestSchema, RegionRequestSchema, SliceRequestSchema, errorFromZod, type EngineError } from '../../ipc/contract.ts';
import { DATA_PLANE_MIME, encodeBlockParts } from '../../ipc/dataPlane.ts';
import type { VolumeBlock } from '../../ipc/api.ts';
import type { Engine } from '../services/engine.ts';
import { toEngineError } from '../services/errors.ts';

const STATUS: Record<EngineError['code'], number> = { bad_request: 400, input_error: 400, not_found: 404, unauthorized: 401, internal: 500 };

export function sendError(response: ServerResponse, error: EngineError, headers: Record<string, string>): void {
  const body = JSON.stringify(error);
  response.writeHead(STATUS[error.code], { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
  response.end(body);
}

function sendBlock(response: ServerResponse, block: VolumeBlock, headers: Record<string, string>, head: boolean): void {
  const { prefix, payload } = encodeBlockParts(block);
  response.writeHead(200, { ...headers, 'Content-Type': DATA_PLANE_MIME, 'Content-Length': String(prefix.length + payload.length) });
  if (head) {
    response.end();
    return;
  }
  response.write(prefix);
  response.end(payload);
}

const SLICE = /^\/data\/volumes\/([^/]+)\/slice$/;
const LEVEL = /^\/data\/volumes\/([^/]+)\/level\/([^/]+)$/;
const REGION = /^\/data\/volumes\/([^/]+)\/region$/;

/** A path segment decoded; a malformed escape is left as it is, and the id schema then refuses it. */
function segment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** '1,2,3' -> [1, 2, 3]; anything else stays as it is so the schema reports it. */
function triple(text: string | null): unknown {
  if (text === null) return undefined;
  const parts = text.split(',');
  return parts.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** Answers a data-plane URL; returns false when the path is not a data-plane route. */
export async function handleDataPlane(engine: Engine, url: URL, response: ServerResponse, headers: Record<string, string>, head = false): Promise<boolean> {
  if (!url.pathname.startsWith('/data/')) return false;
  try {
    const slice = SLICE.exec(url.pathname);
    if (slice) {
      const parsed = SliceRequestSchema.safeParse({
        volumeId: segment(slice[1]),
        axis: url.searchParams.get('axis') ?? undefined,
        index: url.searchParams.get('index') ?? undefined,
      });
      if (!parsed.success) {
        sendError(response, errorFromZod(parsed.error, ''), headers);
        return true;
      }
      sendBlock(response, await engine.slice(parsed.data.volumeId, parsed.data.axis, parsed.data.index), headers, head);
      return true;
    }
    const level = LEVEL.exec(url.pathname);
    if (level) {
      const parsed = LevelRequestSchema.safeParse({ volumeId: segment(level[1]), level: level[2] });
      if (!parsed.success) {
        sendError(response, errorFromZod(parsed.error, ''), headers);
        return true;
      }
      sendBlock(response, await engine.level(parsed.data.volumeId, parsed.data.level), headers, head);
      return true;
    }
    const region = REGION.exec(url.pathname);
    if (region) {
      const level = url.searchParams.get('level') ?? '0';
      const parsed = RegionRequestSchema.safeParse({
        volumeId: segment(region[1]),
        level: /^\d+$/.test(level) ? Number(level) : level,
        start: triple(url.searchParams.get('start')),
        size: triple(url.searchParams.get('size')),
      });
      if (!parsed.success) {
        sendError(response, errorFromZod(parsed.error, ''), headers);
        return true;
      }
      const { volumeId, start, size } = parsed.data;
      sendBlock(response, await engine.region(volumeId, parsed.data.level, start, size), headers, head);
      return true;
    }
    sendError(response, { code: 'not_found', message: `no data-plane route ${url.pathname}` }, headers);
  } catch (error) {
    sendError(response, toEngineError(error), headers);
  }
  return true;
}
