/**
 * The sliding-window engine. Windows are visited in bands of equal z start (y then x inside a band); each band of
 * input planes is read once from a `PlaneSource`, windows are evaluated in batches, and their per-voxel features
 * (class probabilities, and the moments uncertainty needs) are accumulated with the blending weights into a rolling
 * set of planes. Planes that no later window can touch are divided by their weight sum and handed to a `PlaneSink`
 * in slabs, so memory holds about (ROI depth + slab depth) planes whatever the volume's depth. The in-memory and the
 * out-of-core paths both run this, so they give the same numbers.
 */
import type { Vec3 } from '../../volume/volume.ts';
import { importanceMap, type BlendMode, DEFAULT_SIGMA_SCALE } from './importance.ts';
import { planWindows, type WindowPlan } from './windows.ts';

export interface PlaneSource {
  /** (x, y, z) */
  readonly shape: Vec3;
  /** Values per voxel, interleaved. */
  readonly channels: number;
  /** Planes [z0, z0 + depth) (inside the volume), full x/y planes, x fastest, channels interleaved. */
  readPlanes(z0: number, depth: number): Promise<Float32Array>;
}

export interface PlaneSink {
  /** Planes per write (the last write may be shorter). */
  readonly slabDepth: number;
  /** `data` holds `depth` full planes from z0, `features` values per voxel interleaved. Called in increasing z. */
  writePlanes(z0: number, depth: number, data: Float32Array): Promise<void>;
}

/**
 * Evaluates a batch of windows, channels-first [B, C, z, y, x], returning [B, F, z, y, x] features. The engine
 * owns neither buffer after the call.
 */
export type WindowEvaluator = (batch: Float32Array, dims: [number, number, number, number, number]) => Promise<Float32Array>;

export interface WindowProgress {
  done: number;
  total: number;
  elapsedMs: number;
  windowsPerSecond: number;
  etaMs: number;
}

export interface StitchOptions {
  /** (x, y, z) */
  roi: Vec3;
  /** Fraction of the ROI neighbouring windows share, per axis or one for all; [0, 1). */
  overlap: number | Vec3;
  blend: BlendMode;
  sigmaScale?: number;
  /** Windows per evaluator call (bands are never mixed in a batch). */
  batchSize: number;
  /** Features per voxel the evaluator returns. */
  features: number;
  /** Value of padding voxels (volumes smaller than the ROI). */
  padValue?: number;
  signal?: AbortSignal;
  onProgress?: (progress: WindowProgress) => void;
}

export interface StitchResult {
  plan: WindowPlan;
  windows: number;
  /** Milliseconds spent inside the evaluator (awaiting it). */
  evaluatorMs: number;
  totalMs: number;
}

export class CancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'AbortError';
  }
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError('prediction cancelled');
}

interface AccPlane {
  sum: Float32Array;
  weight: Float32Array;
}

/** Reads the padded band [zs, zs + rz) of padded planes Px x Py, filling outside the volume with padValue. */
async function readPaddedBand(source: PlaneSource, plan: WindowPlan, zs: number, padValue: number): Promise<Float32Array> {
  const [nx, ny, nz] = plan.shape;
  const [px, py] = plan.padded;
  const [bx, by, bz] = plan.padBefore;
  const rz = plan.roi[2];
  const C = source.channels;
  const z0 = Math.max(0, zs - bz);
  const z1 = Math.min(nz, zs - bz + rz);
  const inner = z1 > z0 ? await source.readPlanes(z0, z1 - z0) : new Float32Array(0);
  if (px === nx && py === ny && bz === 0 && z1 - z0 === rz) return inner;
  const band = new Float32Array(rz * px * py * C).fill(padValue);
  for (let z = z0; z < z1; z++) {
    const bandZ = z + bz - zs;
    for (let y = 0; y < ny; y++) {
      const src = ((z - z0) * ny + y) * nx * C;
      const dst = ((bandZ * py + y + by) * px + bx) * C;
      band.set(inner.subarray(src, src + nx * C), dst);
    }
  }
  return band;
}

/** Runs every window of `plan` through `evaluate` and writes the blended features to `sink`. */
export async function stitchWindows(
  source: PlaneSource,
  evaluate: WindowEvaluator,
  sink: PlaneSink,
  options: StitchOptions,
): Promise<StitchResult> {
  const t0 = performance.now();
  const plan = planWindows(source.shape, options.roi, options.overlap);
  const [nx, ny, nz] = plan.shape;
  const [px, py, pz] = plan.padded;
  const [bx, by, bz] = plan.padBefore;
  const [rx, ry, rz] = plan.roi;
  const C = source.channels;
  const F = options.features;
  const batchSize = Math.max(1, Math.floor(options.batchSize));
  const padValue = options.padValue ?? 0;
  const weights = importanceMap(plan.roi, options.blend, options.sigmaScale ?? DEFAULT_SIGMA_SCALE);
  const windowVoxels = rx * ry * rz;
  const planeVoxels = px * py;
  const acc = new Map<number, AccPlane>();
  let done = 0;
  let evaluatorMs = 0;
  // Next original plane to hand to the sink.
  let emitted = 0;
  const slabDepth = Math.max(1, sink.slabDepth);

  const flush = async (finalUpTo: number, last: boolean) => {
    // Padded planes below `finalUpTo` are final; map to original planes.
    const finalEnd = Math.min(nz, Math.max(0, finalUpTo - bz));
    while (finalEnd - emitted >= slabDepth || (last && finalEnd > emitted)) {
      const depth = Math.min(slabDepth, finalEnd - emitted);
      const out = new Float32Array(depth * nx * ny * F);
      for (let z = 0; z < depth; z++) {
        const plane = acc.get(emitted + z + bz);
        if (!plane) throw new Error(`internal: plane ${emitted + z} was never accumulated`);
        for (let y = 0; y < ny; y++) {
          for (let x = 0; x < nx; x++) {
            const p = (y + by) * px + x + bx;
            const w = plane.weight[p];
            const o = ((z * ny + y) * nx + x) * F;
            for (let f = 0; f < F; f++) out[o + f] = plane.sum[p * F + f] / w;
          }
        }
      }
      await sink.writePlanes(emitted, depth, out);
      emitted += depth;
    }
    for (const z of [...acc.keys()]) if (z < finalUpTo && z < emitted + bz) acc.delete(z);
    // Padding planes before the volume are never emitted: drop them once final.
    for (const z of [...acc.keys()]) if (z < finalUpTo && (z < bz || z >= bz + nz)) acc.delete(z);
  };

  const accumulate = (result: Float32Array, band: { ys: number[]; xs: number[] }, zs: number) => {
    for (let b = 0; b < band.xs.length; b++) {
      const ys = band.ys[b];
      const xs = band.xs[b];
      const base = b * F * windowVoxels;
      for (let z = 0; z < rz; z++) {
        const plane = acc.get(zs + z)!;
        const { sum, weight } = plane;
        for (let y = 0; y < ry; y++) {
          const row = (ys + y) * px + xs;
          const wRow = (z * ry + y) * rx;
          for (let x = 0; x < rx; x++) {
            const w = weights[wRow + x];
            const p = row + x;
            weight[p] += w;
            const s = p * F;
            let r = base + wRow + x;
            for (let f = 0; f < F; f++, r += windowVoxels) sum[s + f] += w * result[r];
          }
        }
      }
    }
  };

  const total = plan.count;
  const report = () => {
    if (!options.onProgress) return;
    const elapsedMs = performance.now() - t0;
    const windowsPerSecond = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
    const etaMs = windowsPerSecond > 0 ? ((total - done) / windowsPerSecond) * 1000 : Infinity;
    options.onProgress({ done, total, elapsedMs, windowsPerSecond, etaMs });
  };

  const zStarts = plan.starts[2];
  for (let gi = 0; gi < zStarts.length; gi++) {
    checkAbort(options.signal);
    const zs = zStarts[gi];
    const band = await readPaddedBand(source, plan, zs, padValue);
    for (let z = zs; z < zs + rz; z++) {
      if (!acc.has(z)) acc.set(z, { sum: new Float32Array(planeVoxels * F), weight: new Float32Array(planeVoxels) });
    }
    const positions: { ys: number; xs: number }[] = [];
    for (const ys of plan.starts[1]) for (const xs of plan.starts[0]) positions.push({ ys, xs });
    // One batch evaluates while the previous one is accumulated.
    let pending: { promise: Promise<Float32Array>; ys: number[]; xs: number[]; started: number } | undefined;
    const settle = async () => {
      if (!pending) return;
      const result = await pending.promise;
      evaluatorMs += performance.now() - pending.started;
      accumulate(result, pending, zs);
      done += pending.xs.length;
      pending = undefined;
      report();
    };
    for (let i = 0; i < positions.length; i += batchSize) {
      checkAbort(options.signal);
      const chunk = positions.slice(i, i + batchSize);
      const B = chunk.length;
      const input = new Float32Array(B * C * windowVoxels);
      for (let b = 0; b < B; b++) {
        const { ys, xs } = chunk[b];
        for (let z = 0; z < rz; z++) {
          for (let y = 0; y < ry; y++) {
            const src = ((z * py + ys + y) * px + xs) * C;
            const dstRow = (z * ry + y) * rx;
            if (C === 1) {
              input.set(band.subarray(src, src + rx), b * windowVoxels + dstRow);
            } else {
              for (let c = 0; c < C; c++) {
                const dst = (b * C + c) * windowVoxels + dstRow;
                for (let x = 0, s = src + c; x < rx; x++, s += C) input[dst + x] = band[s];
              }
            }
          }
        }
      }
      const started = performance.now();
      const promise = evaluate(input, [B, C, rz, ry, rx]);
      // Awaited in settle(); this handler only keeps a rejection from counting as unhandled meanwhile.
      promise.catch(() => undefined);
      await settle();
      pending = { promise, ys: chunk.map((c) => c.ys), xs: chunk.map((c) => c.xs), started };
    }
    await settle();
    const last = gi === zStarts.length - 1;
    await flush(last ? pz : zStarts[gi + 1], last);
  }
  return { plan, windows: done, evaluatorMs, totalMs: performance.now() - t0 };
}
