/**
 * Harness of the workstation e2e (tests/e2e/workstation.test.ts): small electrode phantom cases written to disk the way
 * `npm run demo` makes them, a web-mode session with a viewport large enough for the workspaces, numbered step
 * screenshots with timings, waits on DOM state (never sleeps), and a real drop of the page's engine connections.
 */
import { promises as fs, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import '../../../main/io/formats.ts';
import { readVolume, writeVolume } from '../../../main/io/registry.ts';
import { electrodeLabels, electrodePhantom } from '../../../main/phantom/electrode.ts';
import { createVolume, type Vec3, type Volume } from '../../../main/volume/volume.ts';
import { sharedPath } from '../../helpers/shared-data.ts';
import { ARTIFACTS, openViewer, type ViewerSession } from './viewer.ts';

/** taufactor's 3-phase electrode segmentation, the phantom's ground truth (as main/cli/demo.ts). */
export const ELECTRODE_SEGMENTATION = sharedPath('taufactor/electrode.tiff');

export interface PhantomCaseFiles {
  id: string;
  image: string;
  label: string;
}

/** The sub-volume of `volume` of size `size` from corner `corner` (x-fastest, one component). */
export function cropVolume(volume: Volume, corner: Vec3, size: Vec3): Volume {
  const [nx, ny] = volume.shape;
  const [x0, y0, z0] = corner;
  const [sx, sy, sz] = size;
  const data = new Uint8Array(sx * sy * sz);
  for (let z = 0; z < sz; z++) {
    for (let y = 0; y < sy; y++) {
      const src = ((z0 + z) * ny + (y0 + y)) * nx + x0;
      data.set(volume.data.subarray(src, src + sx) as Uint8Array, (z * sy + y) * sx);
    }
  }
  return createVolume({ shape: size, data, spacing: volume.spacing });
}

/**
 * `count` phantom cases in `dir`: crops of the electrode segmentation at well-separated corners, each with its own
 * noise seed, written as `<id>.nii.gz` images and `<id>_label.nrrd` label maps (NRRD keeps the phase names/colours).
 */
export async function writePhantomCases(dir: string, count = 3, size: Vec3 = [48, 48, 24]): Promise<PhantomCaseFiles[]> {
  await fs.mkdir(dir, { recursive: true });
  const segmentation = await readVolume(ELECTRODE_SEGMENTATION);
  const [nx, ny, nz] = segmentation.shape;
  const files: PhantomCaseFiles[] = [];
  for (let i = 0; i < count; i++) {
    // Corners spread along the volume's diagonal so that no two cases share voxels.
    const t = count === 1 ? 0 : i / (count - 1);
    const corner: Vec3 = [Math.floor(t * (nx - size[0])), Math.floor((1 - t) * (ny - size[1])), Math.floor(t * (nz - size[2]))];
    const labels = electrodeLabels(cropVolume(segmentation, corner, size), undefined, 0.001);
    const image = electrodePhantom(labels, { seed: 100 + i });
    const id = `electrode_${i}`;
    const entry = { id, image: path.join(dir, `${id}.nii.gz`), label: path.join(dir, `${id}_label.nrrd`) };
    await writeVolume(image, entry.image);
    await writeVolume(labels, entry.label);
    files.push(entry);
  }
  return files;
}

/** The bit of the DOM the waits below use in the page (tests type-check without the DOM library; inline casts only:
 * functions given to waitForFunction run in the page and cannot call helpers of this module). */
interface PageDocument {
  querySelector(selector: string): { getAttribute(name: string): string | null } | null;
}

export interface StepRecord {
  name: string;
  ms: number;
  ok: boolean;
  error?: string;
  pageErrors?: string[];
}

export interface WorkstationSession extends ViewerSession {
  /** Timings of the steps run so far (see `step`). */
  steps: StepRecord[];
  /**
   * Runs one step of the flow: times it, screenshots the page afterwards (pass or fail) to
   * out/test-artifacts/e2e/workstation-<nn>-<name>.png, and records it in `steps` and workstation-steps.json.
   */
  step<T>(name: string, body: () => Promise<T>): Promise<T>;
  /** Number of WebSocket connections the page has opened to the engine so far. */
  socketsOpened(): number;
}

/** Web mode + Chromium with room for the workspaces (side panels, several views); software GL without shading. */
export async function openWorkstation(query = 'shade=0&surfaceVoxels=200000'): Promise<WorkstationSession> {
  const base = await openViewer(query, { width: 1280, height: 860 });
  // The artefacts of one run only: a renamed or dropped step must not leave an older screenshot behind.
  for (const file of await fs.readdir(ARTIFACTS)) {
    if (file.startsWith('workstation-')) await fs.rm(path.join(ARTIFACTS, file), { force: true });
  }
  const steps: StepRecord[] = [];
  let sockets = 0;
  // Sockets the page opens from now on (the first one opened during navigation): each reconnect adds one.
  base.page.on('websocket', () => sockets++);
  await base.page.waitForFunction(() => (globalThis as unknown as { document: PageDocument }).document.querySelector('[data-testid="workspace-tabs"]') !== null);
  const writeSteps = () => writeFileSync(path.join(ARTIFACTS, 'workstation-steps.json'), `${JSON.stringify(steps, null, 2)}\n`);
  return {
    ...base,
    steps,
    socketsOpened: () => sockets,
    async step<T>(name: string, body: () => Promise<T>): Promise<T> {
      const t0 = performance.now();
      const errorsBefore = base.errors.length;
      const shot = path.join(ARTIFACTS, `workstation-${String(steps.length + 1).padStart(2, '0')}-${name}.png`);
      try {
        const result = await body();
        steps.push({ name, ms: Math.round(performance.now() - t0), ok: true });
        return result;
      } catch (error) {
        const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
        // The page's own errors since the step began often say why the UI never got where the step waited.
        const pageErrors = base.errors.slice(errorsBefore);
        steps.push({ name, ms: Math.round(performance.now() - t0), ok: false, error: message, ...(pageErrors.length ? { pageErrors } : {}) });
        if (pageErrors.length && error instanceof Error) error.message += `\npage errors during step '${name}':\n${pageErrors.join('\n')}`;
        throw error;
      } finally {
        await base.page.screenshot({ path: shot }).catch(() => undefined);
        writeSteps();
      }
    },
  };
}

/** Clicks a workspace tab and waits for its workspace root. */
export async function showWorkspace(page: Page, id: 'viewer' | 'project' | 'training' | 'results' | 'boundaries' | 'report'): Promise<void> {
  await page.getByTestId(`tab-${id}`).click();
  if (id === 'viewer') await page.getByTestId('view-axial').waitFor();
  else await page.getByTestId(`workspace-${id}`).waitFor();
}

/**
 * Waits for an element the flow needs; when it never shows, fails naming the test id and the helper whose workspace
 * should provide it (a missing workspace fails the step, it never skips it).
 */
export async function need(page: Page, testId: string, owner: string, timeout = 10_000): Promise<void> {
  try {
    await page.getByTestId(testId).first().waitFor({ timeout });
  } catch {
    throw new Error(`[${owner}] no element data-testid="${testId}" after ${timeout} ms: the ${owner} workspace does not provide this step yet`);
  }
}

/** What an attribute must be: equal to a string, differ from one, be one of a list, or be a number of at least `min`. */
export interface AttributeCondition {
  equals?: string;
  notEquals?: string;
  oneOf?: string[];
  min?: number;
}

/**
 * Waits until the attribute `attr` of the (first) element with test id `testId` meets `condition`; returns its value.
 * The condition is data, not a function: the page's CSP forbids eval.
 */
export async function waitForAttribute(page: Page, testId: string, attr: string, condition: AttributeCondition, timeout = 60_000): Promise<string> {
  try {
    const handle = await page.waitForFunction(
      ([id, name, c]) => {
        const value = (globalThis as unknown as { document: PageDocument }).document.querySelector(`[data-testid="${id}"]`)?.getAttribute(name);
        if (value === null || value === undefined) return false;
        if (c.equals !== undefined && value !== c.equals) return false;
        if (c.notEquals !== undefined && value === c.notEquals) return false;
        if (c.oneOf !== undefined && !c.oneOf.includes(value)) return false;
        if (c.min !== undefined && !(Number(value) >= c.min)) return false;
        return value;
      },
      [testId, attr, condition] as const,
      { timeout },
    );
    return (await handle.jsonValue()) as string;
  } catch (error) {
    const now = await page
      .getByTestId(testId)
      .first()
      .getAttribute(attr, { timeout: 1000 })
      .catch(() => '(no such element)');
    throw new Error(`[${testId}] ${attr} never met ${JSON.stringify(condition)} within ${timeout} ms (now ${JSON.stringify(now)}): ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
}

/** Where recordAttribute keeps the values it saw, in the page. */
interface RecordHost {
  __workstationRecords?: Record<string, string[]>;
}

/**
 * Records in the page every value the attribute `attr` of the element with test id `testId` takes from now on (a
 * MutationObserver), so that a state the UI passes through quickly (e.g. "disconnected" for 200 ms) can be checked
 * afterwards with `recordedAttribute`.
 */
export async function recordAttribute(page: Page, testId: string, attr: string): Promise<void> {
  await page.evaluate(
    ([id, name]) => {
      const host = globalThis as unknown as RecordHost & { document: PageDocument; MutationObserver: new (cb: () => void) => { observe(target: unknown, options: { attributes: boolean; attributeFilter: string[] }): void } };
      const el = host.document.querySelector(`[data-testid="${id}"]`);
      if (!el) throw new Error(`no element data-testid="${id}" to record ${name} of`);
      const records = (host.__workstationRecords ??= {});
      const seen = (records[`${id}:${name}`] = [el.getAttribute(name) ?? '']);
      new host.MutationObserver(() => seen.push(el.getAttribute(name) ?? '')).observe(el, { attributes: true, attributeFilter: [name] });
    },
    [testId, attr] as const,
  );
}

/** The values recorded since `recordAttribute(page, testId, attr)`, the first one being the value then. */
export function recordedAttribute(page: Page, testId: string, attr: string): Promise<string[]> {
  return page.evaluate((key) => (globalThis as unknown as RecordHost).__workstationRecords?.[key] ?? [], `${testId}:${attr}`);
}

/** Fraction of an image's pixels that are not near-white (grey, RGB or RGBA): a blank page is (almost) all white. */
export function inkFraction(pixels: Uint8Array, channels: number): number {
  const colour = channels >= 3 ? 3 : 1;
  let ink = 0;
  for (let i = 0; i < pixels.length; i += channels) {
    for (let c = 0; c < colour; c++) {
      if (pixels[i + c] < 200) {
        ink++;
        break;
      }
    }
  }
  return ink / (pixels.length / channels);
}
