/**
 * Counts work in flight (fetches, surface extraction, pending renders) so tests and the status bar can tell when the
 * views have settled.
 */
import { ref } from 'vue';

const pending = ref(0);
let idleWaiters: (() => void)[] = [];

export const busy = pending;

export async function track<T>(work: Promise<T>): Promise<T> {
  pending.value++;
  try {
    return await work;
  } finally {
    pending.value--;
    if (pending.value === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      // Let the watchers that react to the finished work run (and schedule their own work) first.
      setTimeout(() => {
        if (pending.value === 0) waiters.forEach((w) => w());
        else idleWaiters.push(...waiters);
      }, 0);
    }
  }
}

/** Resolves when nothing is in flight. */
export function whenIdle(): Promise<void> {
  if (pending.value === 0) return new Promise((resolve) => setTimeout(() => (pending.value === 0 ? resolve() : idleWaiters.push(resolve)), 0));
  return new Promise((resolve) => idleWaiters.push(resolve));
}
