/** Collects an engine's events and waits for the ones a test needs. */
import type { EngineEvent, EventName, PayloadOf } from '../../../../ipc/contract.ts';
import type { Engine } from '../../../../main/services/engine.ts';

export class EventLog {
  readonly events: EngineEvent[] = [];
  readonly #off: () => void;

  constructor(engine: Pick<Engine, 'onEvent'>) {
    this.#off = engine.onEvent((e) => this.events.push(e));
  }

  of<E extends EventName>(event: E, jobId?: string): PayloadOf<E>[] {
    return this.events
      .filter((e) => e.event === event && (jobId === undefined || (e.payload as { jobId?: string }).jobId === jobId))
      .map((e) => e.payload as PayloadOf<E>);
  }

  /** Resolves with the first payload of `event` (for `jobId`) that satisfies `test`, polling every 20 ms. */
  async wait<E extends EventName>(event: E, jobId: string | undefined, test: (p: PayloadOf<E>) => boolean = () => true, timeoutMs = 50_000): Promise<PayloadOf<E>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.of(event, jobId).find(test);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${event}${jobId ? ` of ${jobId}` : ''}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  finished(jobId: string): Promise<PayloadOf<'job.finished'>> {
    return this.wait('job.finished', jobId);
  }

  close(): void {
    this.#off();
  }
}
