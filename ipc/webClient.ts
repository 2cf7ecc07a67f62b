/**
 * EngineApi over web mode: JSON messages on a WebSocket (`/ws`) and voxels over the HTTP data plane (`/data/...`).
 * The socket reconnects after a drop (with backoff); requests in flight on a dropped socket fail with an 'internal'
 * error, later requests wait for the new socket. Browser-safe; Node callers pass a WebSocket implementation (`ws`).
 *
 * Jobs outlive connections (they run in the engine), so after a reconnect the client re-synchronises: it asks for
 * `job.list` and replays, to its event listeners, a `job.state` for every job that is still queued, running or paused
 * and a `job.finished` for every job it knew as unfinished that ended while it was away (never one it delivered
 * already). Listeners therefore see every job end exactly once, drop or not. The engine sends every event to every
 * socket, so nothing needs re-subscribing.
 */
import { EngineRequestError, type EngineApi, type VolumeBlock } from './api.ts';
import {
  EVENTS,
  EngineErrorSchema,
  EventMessageSchema,
  METHODS,
  ResponseMessageSchema,
  isEventName,
  type Axis,
  type EngineError,
  type EngineEvent,
  type JobInfo,
  type JobStatus,
  type MethodName,
  type ParamsOf,
  type ResultOf,
} from './contract.ts';
import { decodeBlock } from './dataPlane.ts';

/** The part of the WebSocket interface the client uses (browsers' WebSocket and the `ws` package both fit). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
}
export type SocketConstructor = new (url: string) => SocketLike;

export interface WebClientOptions {
  /** e.g. 'http://127.0.0.1:8765' (no trailing slash needed). */
  baseUrl: string;
  token: string;
  /** Defaults to globalThis.WebSocket. */
  WebSocket?: SocketConstructor;
  /** Defaults to globalThis.fetch. */
  fetch?: typeof fetch;
  /** First reconnect delay in ms, doubled up to maxReconnectDelayMs (defaults 200 and 5000). */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
}

export interface ConnectionState {
  connected: boolean;
  /** Reconnections so far (0 on the first connection). */
  reconnects: number;
}

export interface WebClient extends Required<EngineApi> {
  /** Closes the socket for good (no reconnect). */
  close(): void;
  /** Resolves once the socket is open. */
  ready(): Promise<void>;
  /**
   * Connection changes: connected false on a drop; connected true when the socket is open again and, after a
   * reconnect, once the job state has been re-synchronised (see the module comment). Returns the unsubscribe function.
   */
  onConnectionChange(listener: (state: ConnectionState) => void): () => void;
}

const TERMINAL = new Set<JobStatus>(['completed', 'cancelled', 'failed']);

const OPEN = 1;

interface Pending {
  method: MethodName;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

function connectionLost(message: string): EngineRequestError {
  return new EngineRequestError({ code: 'internal', message });
}

export function createWebClient(options: WebClientOptions): WebClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const Socket = options.WebSocket ?? (globalThis as { WebSocket?: SocketConstructor }).WebSocket;
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  if (!Socket) throw new Error('createWebClient: no WebSocket implementation (pass options.WebSocket)');
  const wsUrl = `${base.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(options.token)}`;
  const firstDelay = options.reconnectDelayMs ?? 200;
  const maxDelay = options.maxReconnectDelayMs ?? 5000;

  const listeners = new Set<(event: EngineEvent) => void>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  /** Last status the client knows of each job, and the jobs whose job.finished its listeners have had. */
  const knownJobs = new Map<string, JobStatus>();
  const finishedDelivered = new Set<string>();
  let reconnects = 0;
  let everOpened = false;

  const deliver = (message: EngineEvent) => {
    if (message.event === 'job.finished') {
      if (finishedDelivered.has(message.payload.jobId)) return;
      finishedDelivered.add(message.payload.jobId);
      knownJobs.set(message.payload.jobId, message.payload.status);
    } else if (message.event === 'job.state') {
      knownJobs.set(message.payload.jobId, message.payload.status);
    } else if (message.event === 'job.progress' && !knownJobs.has(message.payload.jobId)) {
      knownJobs.set(message.payload.jobId, 'running');
    }
    for (const listener of listeners) {
      try {
        listener(message);
      } catch {
        // One failing listener must not starve the others.
      }
    }
  };
  const noteJob = (info: JobInfo) => {
    if (!finishedDelivered.has(info.jobId)) knownJobs.set(info.jobId, info.status);
  };
  const announce = (connected: boolean) => {
    for (const listener of connectionListeners) {
      try {
        listener({ connected, reconnects });
      } catch {
        // as above
      }
    }
  };
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let socket: SocketLike | null = null;
  let closed = false;
  let delay = firstDelay;
  let waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  const handleMessage = (text: string) => {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return;
    }
    const asEvent = EventMessageSchema.safeParse(raw);
    if (asEvent.success && typeof raw === 'object' && raw !== null && !('id' in raw)) {
      const { event, payload } = asEvent.data;
      if (!isEventName(event)) return;
      const checked = EVENTS[event].safeParse(payload);
      if (!checked.success) return;
      deliver({ event, payload: checked.data } as EngineEvent);
      return;
    }
    const response = ResponseMessageSchema.safeParse(raw);
    if (!response.success || typeof response.data.id !== 'number') return;
    const entry = pending.get(response.data.id);
    if (!entry) return;
    pending.delete(response.data.id);
    if ('error' in response.data) {
      entry.reject(new EngineRequestError(response.data.error));
      return;
    }
    const result = METHODS[entry.method].result.safeParse(response.data.result);
    if (result.success) {
      rememberJobs(entry.method, result.data);
      entry.resolve(result.data);
    }
    else entry.reject(connectionLost(`${entry.method}: engine sent a result that does not match the contract`));
  };

  /** Job states seen in results (job.start, job.get, job.list, ...), so a later resync knows what was unfinished. */
  const rememberJobs = (method: MethodName, result: unknown) => {
    if (method === 'job.list') for (const info of (result as ResultOf<'job.list'>).jobs) noteJob(info);
    else if (method === 'job.start' || method === 'job.get' || method === 'job.cancel' || method === 'job.pause' || method === 'job.resume' || method === 'report.export') {
      noteJob(result as JobInfo);
    } else if (method === 'case.import') {
      const job = (result as ResultOf<'case.import'>).job;
      if (job) noteJob(job);
    }
  };

  /** After a reconnect: replay what the listeners missed (see the module comment). */
  const resync = async () => {
    const wasUnfinished = new Set([...knownJobs].filter(([, status]) => !TERMINAL.has(status)).map(([jobId]) => jobId));
    const { jobs } = await requestImpl('job.list', {});
    for (const info of jobs) {
      if (!TERMINAL.has(info.status)) {
        deliver({ event: 'job.state', payload: info });
      } else if (wasUnfinished.has(info.jobId)) {
        deliver({
          event: 'job.finished',
          payload: {
            jobId: info.jobId,
            kind: info.kind,
            status: info.status as 'completed' | 'cancelled' | 'failed',
            ...(info.error !== undefined ? { error: info.error } : {}),
            ...(info.result !== undefined ? { result: info.result } : {}),
          },
        });
      }
    }
  };

  const connect = () => {
    if (closed) return;
    const ws = new Socket(wsUrl);
    socket = ws;
    ws.onopen = () => {
      delay = firstDelay;
      const ready = waiters;
      waiters = [];
      for (const w of ready) w.resolve();
      if (!everOpened) {
        everOpened = true;
        announce(true);
        return;
      }
      reconnects++;
      resync().then(
        () => announce(true),
        // The socket dropped again during the resync: the next open retries it.
        () => undefined,
      );
    };
    ws.onmessage = (event) => {
      const data = event.data;
      if (typeof data === 'string') handleMessage(data);
      else if (data instanceof ArrayBuffer) handleMessage(new TextDecoder().decode(data));
      else if (data instanceof Uint8Array) handleMessage(new TextDecoder().decode(data));
    };
    ws.onerror = () => {
      /* onclose follows and schedules the reconnect */
    };
    ws.onclose = () => {
      if (socket === ws) socket = null;
      if (everOpened) announce(false);
      for (const [id, entry] of pending) {
        pending.delete(id);
        entry.reject(connectionLost(`${entry.method}: connection to the engine was lost`));
      }
      if (closed) return;
      setTimeout(connect, delay);
      delay = Math.min(maxDelay, delay * 2);
    };
  };

  const ready = (): Promise<void> => {
    if (closed) return Promise.reject(connectionLost('client is closed'));
    if (socket && socket.readyState === OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  };

  const fetchBlock = async (path: string): Promise<VolumeBlock> => {
    const response = await fetchImpl(`${base}${path}`, { headers: { Authorization: `Bearer ${options.token}` } });
    if (!response.ok) {
      let error: EngineError = { code: 'internal', message: `${path}: HTTP ${response.status}` };
      try {
        const parsed = EngineErrorSchema.safeParse(await response.json());
        if (parsed.success) error = parsed.data;
      } catch {
        /* keep the status error */
      }
      throw new EngineRequestError(error);
    }
    return decodeBlock(await response.arrayBuffer());
  };

  async function requestImpl<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    await ready();
    const id = nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      pending.set(id, { method, resolve: resolve as (value: unknown) => void, reject });
      try {
        socket!.send(JSON.stringify({ id, method, params }));
      } catch (error) {
        pending.delete(id);
        reject(connectionLost(`${method}: ${error instanceof Error ? error.message : String(error)}`));
      }
    });
  }

  connect();

  return {
    request: requestImpl,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onConnectionChange(listener) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
    fetchSlice(volumeId: string, axis: Axis, index: number) {
      return fetchBlock(`/data/volumes/${encodeURIComponent(volumeId)}/slice?axis=${axis}&index=${index}`);
    },
    fetchLevel(volumeId: string, level: number) {
      return fetchBlock(`/data/volumes/${encodeURIComponent(volumeId)}/level/${level}`);
    },
    fetchRegion(volumeId: string, level: number, start: [number, number, number], size: [number, number, number]) {
      return fetchBlock(`/data/volumes/${encodeURIComponent(volumeId)}/region?level=${level}&start=${start.join(',')}&size=${size.join(',')}`);
    },
    close() {
      closed = true;
      const failed = waiters;
      waiters = [];
      for (const w of failed) w.reject(connectionLost('client is closed'));
      socket?.close();
    },
    ready,
  };
}
