// UI event-loop stalls while a training run streams progress: web mode, Chromium, the training dashboard open on a
// real tiny training run whose job sends 10 step events a second (TrainJobParams.stepEventsPerSecond). Measured in the
// page over a window: the longest task (PerformanceObserver 'longtask', tasks >= 50 ms) and the gaps between animation
// frames (longest and p95). References, same run: the same page idle on the dashboard with no training, and the same
// run streaming with the dashboard hidden (the training process shares the machine's cores with the browser).
import { rmSync } from 'node:fs';
import path from 'node:path';
import { emit } from '../lib/result.ts';
import { openViewer } from '../../tests/e2e/helpers/viewer.ts';
import { makeTinyProject } from '../../tests/fixtures/training/tiny-project.ts';

const SECONDS = Number(process.env.SEGSTATION_BENCH_UI_SECONDS ?? 30);
const EVENTS_PER_SECOND = 10;

interface Stalls {
  longestTaskMs: number;
  longTasks: number;
  frames: number;
  longestGapMs: number;
  p95GapMs: number;
}

/**
 * The in-page monitor as source text: functions written here would be rewritten by tsx (a __name() wrapper the page
 * lacks), so the page evaluates a string.
 */
const MONITOR = `new Promise((resolve) => {
  const seconds = __SECONDS__;
  let longest = 0, count = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) { count++; longest = Math.max(longest, e.duration); }
  });
  observer.observe({ type: 'longtask', buffered: false });
  const gaps = [];
  let last = performance.now();
  const end = last + seconds * 1000;
  const frame = (now) => {
    gaps.push(now - last);
    last = now;
    if (now < end) requestAnimationFrame(frame);
    else {
      observer.disconnect();
      const sorted = gaps.slice().sort((a, b) => a - b);
      const p95 = sorted[Math.min(sorted.length - 1, Math.floor(0.95 * (sorted.length - 1)))];
      resolve({ longestTaskMs: longest, longTasks: count, frames: gaps.length, longestGapMs: sorted[sorted.length - 1], p95GapMs: p95 });
    }
  };
  requestAnimationFrame(frame);
})`;

/** Polls from Node (the page's CSP forbids waitForFunction's string evaluation). */
async function until(test: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function measure(page: import('playwright-core').Page): Promise<Stalls> {
  return page.evaluate(MONITOR.replace('__SECONDS__', String(SECONDS))) as Promise<Stalls>;
}

const project = await makeTinyProject({ cases: 3, shape: [32, 32, 4] });
const session = await openViewer('', { width: 1280, height: 900 });
try {
  const { page, engine } = session;
  await engine.call('project.open', { dir: project });
  await page.locator('[data-testid="tab-training"]').click();
  await until(async () => (await page.locator('[data-testid="training-preset"] option').count()) > 1, 'the presets');

  const idle = await measure(page);

  // Many short steps so the job has a step event to send every 100 ms; validation rarely.
  const config = {
    seed: 1,
    backend: 'cpu',
    network: { kind: '2.5d', axis: 'z', context: 1, levels: 2, filters: 4 },
    patchSize: [32, 32],
    batchSize: 1,
    epochs: 1000,
    stepsPerEpoch: 20,
    validation: { every: 1000 },
    optimizer: { type: 'adam', lr: 0.01 },
    augmentation: { affine: { pRotation: 0, pScale: 0 } },
  };
  const job = await engine.call('job.start', { kind: 'train', params: { projectDir: project, config, runId: 'ui-stalls', stepEventsPerSecond: EVENTS_PER_SECOND } });
  // The dashboard follows the run once its first event arrives (as after Start in the UI).
  let firstStep: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (firstStep = resolve));
  let steps = 0;
  let counting = false;
  const off = engine.onEvent((e) => {
    if (e.event === 'training.progress' && e.payload.jobId === job.jobId && e.payload.type === 'step') {
      firstStep();
      if (counting) steps++;
    }
  });
  await started;
  await page.locator('[data-testid="training-runs-refresh"]').click();
  await page.locator('[data-testid="training-show-ui-stalls"]').click();
  await until(async () => Number(await page.locator('[data-testid="training-chart-loss"]').getAttribute('data-points')) > 0, 'loss points');
  counting = true;
  const busy = await measure(page);
  counting = false;
  // The same run streaming with the dashboard hidden (Viewer tab): what the training process alone costs the page on
  // this machine's shared cores, so the dashboard's own cost is the difference.
  await page.locator('[data-testid="tab-viewer"]').click();
  const hidden = await measure(page);
  await page.locator('[data-testid="tab-training"]').click();
  off();
  await engine.call('job.cancel', { jobId: job.jobId });
  const rate = steps / SECONDS;
  const points = Number(await page.locator('[data-testid="training-chart-loss"]').getAttribute('data-points'));

  const note = `${SECONDS} s each; ${rate.toFixed(1)} step events/s received (target ${EVENTS_PER_SECOND}/s), loss chart ${points} points; headless Chromium, 2 shared cores`;
  emit({
    name: 'training dashboard, streaming run: longest task',
    value: busy.longestTaskMs,
    unit: 'ms',
    reference: { name: 'same page idle, no training', value: idle.longestTaskMs },
    ratio: idle.longestTaskMs > 0 ? busy.longestTaskMs / idle.longestTaskMs : undefined,
    better: 'lower',
    note: `${busy.longTasks} long tasks (>= 50 ms) streaming, ${idle.longTasks} idle; 0 means no task reached 50 ms; ${note}`,
  });
  emit({
    name: 'training dashboard, streaming run: p95 frame gap',
    value: busy.p95GapMs,
    unit: 'ms',
    reference: { name: 'same page idle, no training', value: idle.p95GapMs },
    ratio: busy.p95GapMs / idle.p95GapMs,
    better: 'lower',
    note: `${busy.frames} frames streaming, ${idle.frames} idle; ${note}`,
  });
  emit({
    name: 'training dashboard, streaming run: p95 frame gap (vs dashboard hidden)',
    value: busy.p95GapMs,
    unit: 'ms',
    reference: { name: 'same run streaming, Viewer tab shown instead', value: hidden.p95GapMs },
    ratio: busy.p95GapMs / hidden.p95GapMs,
    better: 'lower',
    note: `hidden: longest task ${hidden.longestTaskMs.toFixed(0)} ms (${hidden.longTasks} long tasks), longest frame gap ${hidden.longestGapMs.toFixed(0)} ms, ${hidden.frames} frames; ${note}`,
  });
  emit({
    name: 'training dashboard, streaming run: longest frame gap',
    value: busy.longestGapMs,
    unit: 'ms',
    reference: { name: 'same page idle, no training', value: idle.longestGapMs },
    ratio: busy.longestGapMs / idle.longestGapMs,
    better: 'lower',
    note,
  });
} finally {
  await session.close();
  rmSync(path.dirname(project), { recursive: true, force: true });
}
