// A web client loses its socket while jobs run: the engine keeps the jobs going with no client connected, the client
// reconnects, re-synchronises (job.list) and its listeners see progress continue and every job end exactly once.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { EngineEvent, PayloadOf } from '../../../ipc/contract.ts';
import { createWebClient, type ConnectionState, type SocketConstructor, type WebClient } from '../../../ipc/webClient.ts';
import type { Engine } from '../../../main/services/engine.ts';
import { registerJobKind } from '../../../main/services/jobs.ts';
import type { WebServer } from '../../../main/server/webServer.ts';
import { startTestWebServer, stopTestWebServer } from '../../helpers/webServer.ts';
import { CountParams } from '../services/fixtures/countJob.ts';

registerJobKind('test.count', CountParams, { module: new URL('../services/fixtures/countJob.ts', import.meta.url) });

/** The `ws` client, remembering its instances so a test can cut one as a network failure would. */
const sockets: WebSocket[] = [];
class TrackedSocket extends WebSocket {
  constructor(url: string) {
    super(url);
    sockets.push(this);
  }
}

let tmp: string;
let engine: Engine;
let server: WebServer;
let client: WebClient | null = null;

beforeAll(async () => {
  ({ tmp, engine, server } = await startTestWebServer('segstation-reconnect-'));
});

afterEach(() => {
  client?.close();
  client = null;
});

afterAll(async () => {
  await stopTestWebServer({ tmp, engine, server });
});

async function until(test: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function connect(reconnectDelayMs: number): { c: WebClient; events: EngineEvent[]; states: ConnectionState[] } {
  const c = createWebClient({ baseUrl: server.url, token: server.token, WebSocket: TrackedSocket as unknown as SocketConstructor, reconnectDelayMs });
  const events: EngineEvent[] = [];
  const states: ConnectionState[] = [];
  c.onEvent((e) => events.push(e));
  c.onConnectionChange((s) => states.push(s));
  client = c;
  return { c, events, states };
}

const progressOf = (events: EngineEvent[], jobId: string) =>
  events.filter((e): e is { event: 'job.progress'; payload: PayloadOf<'job.progress'> } => e.event === 'job.progress' && e.payload.jobId === jobId).map((e) => e.payload.done);
const finishedOf = (events: EngineEvent[], jobId: string) =>
  events.filter((e): e is { event: 'job.finished'; payload: PayloadOf<'job.finished'> } => e.event === 'job.finished' && e.payload.jobId === jobId).map((e) => e.payload);

describe('web client after a socket drop', () => {
  it('sees a running job progress on after the reconnect, then its end once', async () => {
    const { c, events, states } = connect(400);
    await c.ready();
    const job = await c.request('job.start', { kind: 'test.count', params: { steps: 40, delayMs: 60 } });
    await until(() => progressOf(events, job.jobId).length >= 2, 'first progress');
    const socket = sockets.at(-1)!;
    socket.terminate();
    const seenBeforeDrop = events.length;
    await until(() => states.some((s) => !s.connected), 'the drop is noticed');
    const lastBeforeDrop = Math.max(...progressOf(events, job.jobId));
    // While the client is away, the engine runs the job on: it progresses with no socket open.
    await new Promise((r) => setTimeout(r, 250));
    const duringDrop = engine.jobs.get(job.jobId).done;
    await until(() => states.at(-1)?.connected === true && states.at(-1)?.reconnects === 1, 'reconnected');
    expect(engine.jobs.get(job.jobId).done).toBeGreaterThan(lastBeforeDrop);
    expect(duringDrop).toBeGreaterThanOrEqual(lastBeforeDrop);
    // The resync replays the job's current state.
    const replayed = events.slice(seenBeforeDrop).find((e) => e.event === 'job.state' && e.payload.jobId === job.jobId && e.payload.status === 'running');
    expect(replayed).toBeDefined();
    await until(() => finishedOf(events, job.jobId).length > 0, 'job end');
    await new Promise((r) => setTimeout(r, 200));
    expect(finishedOf(events, job.jobId)).toEqual([expect.objectContaining({ status: 'completed', result: expect.objectContaining({ counted: 40 }) })]);
    const after = progressOf(events, job.jobId).filter((_, i, all) => i >= all.indexOf(lastBeforeDrop) + 1);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((d) => d > lastBeforeDrop)).toBe(true);
    expect(Math.max(...progressOf(events, job.jobId))).toBe(40);
    expect((await c.request('job.get', { jobId: job.jobId })).status).toBe('completed');
  }, 60_000);

  it('delivers the end of a job that finished while it was disconnected', async () => {
    const { c, events, states } = connect(2500);
    await c.ready();
    const job = await c.request('job.start', { kind: 'test.count', params: { steps: 4, delayMs: 100 } });
    await until(() => progressOf(events, job.jobId).length >= 1, 'first progress');
    sockets.at(-1)!.terminate();
    await until(() => states.some((s) => !s.connected), 'the drop is noticed');
    // The job ends with no client connected.
    await until(() => engine.jobs.get(job.jobId).status === 'completed', 'job completes in the engine');
    expect(finishedOf(events, job.jobId)).toEqual([]);
    await until(() => finishedOf(events, job.jobId).length > 0, 'replayed end after the reconnect');
    expect(finishedOf(events, job.jobId)).toEqual([{ jobId: job.jobId, kind: 'test.count', status: 'completed', result: expect.objectContaining({ counted: 4 }) }]);
    expect(states.at(-1)).toEqual({ connected: true, reconnects: 1 });
    // A job the client never knew of is not announced as finished.
    expect(events.filter((e) => e.event === 'job.finished').map((e) => (e.payload as { jobId: string }).jobId)).toEqual([job.jobId]);
  }, 60_000);
});
