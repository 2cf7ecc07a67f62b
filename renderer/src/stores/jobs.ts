/**
 * Every engine job the UI knows of, kept current from job.list and the job events. Jobs run in the engine and outlive
 * the page's connection: the web client replays what a dropped socket missed, and `refresh` re-reads the list.
 */
import { defineStore } from 'pinia';
import type { JobInfo, ParamsOf } from '../../../ipc/contract.ts';
import type { EngineEvent } from '../../../ipc/api.ts';
import { getEngine } from '../data/engine.ts';
import { errorText } from './volumes.ts';

const TERMINAL = new Set(['completed', 'cancelled', 'failed']);

export const useJobsStore = defineStore('jobs', {
  state: () => ({
    byId: {} as Record<string, JobInfo>,
    /** Job ids, oldest first. */
    order: [] as string[],
    error: null as string | null,
    listening: false,
  }),
  getters: {
    jobs: (s): JobInfo[] => s.order.map((id) => s.byId[id]).filter((j): j is JobInfo => j !== undefined),
    active: (s): JobInfo[] => s.order.map((id) => s.byId[id]).filter((j): j is JobInfo => j !== undefined && !TERMINAL.has(j.status)),
  },
  actions: {
    /** Subscribes to job events once; returns the unsubscribe function. */
    listen(): () => void {
      if (this.listening) return () => undefined;
      this.listening = true;
      const off = getEngine().onEvent((e) => this.apply(e));
      void this.refresh();
      return () => {
        off();
        this.listening = false;
      };
    },
    apply(e: EngineEvent): void {
      if (e.event === 'job.state') this.upsert(e.payload);
      else if (e.event === 'job.progress') {
        const job = this.byId[e.payload.jobId];
        // A progress event the job sent just before pausing may arrive after job.state 'paused': it must not undo it.
        if (job) Object.assign(job, { done: e.payload.done, total: e.payload.total, message: e.payload.message, status: TERMINAL.has(job.status) || job.status === 'paused' ? job.status : 'running' });
        else void this.refresh();
      } else if (e.event === 'job.finished') {
        const job = this.byId[e.payload.jobId];
        const patch = { status: e.payload.status, ...(e.payload.error !== undefined ? { error: e.payload.error } : {}), ...(e.payload.result !== undefined ? { result: e.payload.result } : {}) };
        if (job) Object.assign(job, patch);
        else void this.refresh();
      }
    },
    upsert(job: JobInfo): void {
      if (!this.byId[job.jobId]) this.order.push(job.jobId);
      this.byId[job.jobId] = job;
    },
    async refresh(): Promise<void> {
      try {
        const { jobs } = await getEngine().request('job.list', {});
        for (const job of jobs) this.upsert(job);
      } catch (error) {
        this.error = errorText(error);
      }
    },
    /** Starts a job; the returned JobInfo is also tracked here. Rejects with the engine's error (field included). */
    async start(kind: string, params: ParamsOf<'job.start'>['params']): Promise<JobInfo> {
      const job = await getEngine().request('job.start', { kind, params });
      this.upsert(job);
      return job;
    },
    async cancel(jobId: string): Promise<void> {
      await this.control('job.cancel', jobId);
    },
    async pause(jobId: string): Promise<void> {
      await this.control('job.pause', jobId);
    },
    async resume(jobId: string): Promise<void> {
      await this.control('job.resume', jobId);
    },
    async control(method: 'job.cancel' | 'job.pause' | 'job.resume', jobId: string): Promise<void> {
      this.error = null;
      try {
        this.upsert(await getEngine().request(method, { jobId }));
      } catch (error) {
        this.error = errorText(error);
      }
    },
  },
});
