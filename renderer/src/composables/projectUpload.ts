/**
 * Sends a file dropped on the page to the engine (web mode's `POST /data/uploads`), which stores it in the current
 * project's uploads/ folder and answers its path; case.validate and case.import then take that path. Electron's
 * renderer talks IPC only and has no route to post to: there the file browser is the way in.
 */
import { UPLOAD_ROUTE, UploadResultSchema, type UploadResult } from '../../../ipc/contract.ts';

/** The page globals used here, typed narrowly so this module also type-checks in the Node project (store tests). */
interface PageGlobals {
  segstation?: unknown;
  location: { search: string; origin: string };
}
const page = () => globalThis as unknown as PageGlobals;

export function canUpload(): boolean {
  return page().segstation === undefined;
}

function engineMessage(body: unknown, status: number): string {
  if (typeof body === 'object' && body !== null && 'message' in body && typeof (body as { message: unknown }).message === 'string') {
    return (body as { message: string }).message;
  }
  return `HTTP ${status}`;
}

/** Uploads one file; rejects with an Error naming the file and the engine's reason. */
export async function uploadFile(file: File): Promise<UploadResult> {
  if (!canUpload()) throw new Error(`${file.name}: dropping files needs web mode; in the desktop app pick the file in the file browser`);
  const { location } = page();
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const response = await fetch(`${location.origin}${UPLOAD_ROUTE}?name=${encodeURIComponent(file.name)}`, {
    method: 'POST',
    body: file,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/octet-stream' },
  });
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: the status says enough.
  }
  if (!response.ok) throw new Error(`${file.name}: ${engineMessage(body, response.status)}`);
  return UploadResultSchema.parse(body);
}
