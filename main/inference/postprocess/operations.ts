/**
 * Label-map clean-up steps. Each works in place on a Uint8Array label map (x fastest) and returns what it changed:
 * voxel counts per class before and after, and how many voxels changed.
 *
 * - keepLargest: per class, only the largest connected component stays; the rest becomes background (0).
 * - minSize: per class, components smaller than `voxels` become background (skimage remove_small_objects).
 * - fillHoles: per class, background voxels enclosed by the class (scipy binary_fill_holes of the class mask, whose
 *   complement components are 6-connected by default) take the class.
 * - adjacency: a symmetric matrix says which classes may share a face. Where two face neighbours may not touch, the
 *   less confident of the two (lower probability of its own label; the later in raster order on ties) is moved to
 *   its most probable class allowed next to all of its neighbours; repeated with simultaneous updates until nothing
 *   changes or `maxIterations` is reached.
 */
import type { Vec3 } from '../../volume/volume.ts';
import { connectedComponents, type Connectivity } from './components.ts';

export interface StepReport {
  step: string;
  /** Voxels whose label changed. */
  changed: number;
  /** Voxel count per class value before and after the step. */
  before: Record<number, number>;
  after: Record<number, number>;
  /** adjacency: conflicting face pairs left when it stopped. */
  unresolved?: number;
  iterations?: number;
}

export function classCounts(labels: Uint8Array): Record<number, number> {
  const counts = new Float64Array(256);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  const out: Record<number, number> = {};
  for (let v = 0; v < 256; v++) if (counts[v] > 0) out[v] = counts[v];
  return out;
}

function presentClasses(labels: Uint8Array, classes?: readonly number[]): number[] {
  if (classes) return [...classes];
  return Object.keys(classCounts(labels))
    .map(Number)
    .filter((c) => c !== 0);
}

function report(step: string, before: Record<number, number>, labels: Uint8Array, changed: number): StepReport {
  return { step, changed, before, after: classCounts(labels) };
}

export function keepLargest(labels: Uint8Array, shape: Vec3, options: { classes?: readonly number[]; connectivity?: Connectivity } = {}): StepReport {
  const before = classCounts(labels);
  let changed = 0;
  for (const c of presentClasses(labels, options.classes)) {
    const cc = connectedComponents(shape, (i) => labels[i] === c, options.connectivity ?? 26);
    if (cc.count < 2) continue;
    let largest = 1;
    for (let k = 2; k <= cc.count; k++) if (cc.sizes[k] > cc.sizes[largest]) largest = k;
    for (let i = 0; i < labels.length; i++) {
      if (cc.labels[i] !== 0 && cc.labels[i] !== largest) {
        labels[i] = 0;
        changed++;
      }
    }
  }
  return report('keepLargest', before, labels, changed);
}

export function removeSmall(
  labels: Uint8Array,
  shape: Vec3,
  options: { voxels: number; classes?: readonly number[]; connectivity?: Connectivity },
): StepReport {
  const before = classCounts(labels);
  let changed = 0;
  for (const c of presentClasses(labels, options.classes)) {
    const cc = connectedComponents(shape, (i) => labels[i] === c, options.connectivity ?? 26);
    for (let i = 0; i < labels.length; i++) {
      const k = cc.labels[i];
      if (k !== 0 && cc.sizes[k] < options.voxels) {
        labels[i] = 0;
        changed++;
      }
    }
  }
  return report('minSize', before, labels, changed);
}

export function fillHoles(
  labels: Uint8Array,
  shape: Vec3,
  options: { classes?: readonly number[]; backgroundConnectivity?: Connectivity } = {},
): StepReport {
  const before = classCounts(labels);
  const [nx, ny, nz] = shape;
  let changed = 0;
  for (const c of presentClasses(labels, options.classes).sort((a, b) => a - b)) {
    const cc = connectedComponents(shape, (i) => labels[i] !== c, options.backgroundConnectivity ?? 6);
    const touches = new Uint8Array(cc.count + 1);
    for (let z = 0, i = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++, i++) {
          if (x === 0 || y === 0 || z === 0 || x === nx - 1 || y === ny - 1 || z === nz - 1) touches[cc.labels[i]] = 1;
        }
      }
    }
    for (let i = 0; i < labels.length; i++) {
      const k = cc.labels[i];
      if (k !== 0 && !touches[k] && labels[i] === 0) {
        labels[i] = c;
        changed++;
      }
    }
  }
  return report('fillHoles', before, labels, changed);
}

export interface AdjacencyOptions {
  /** allowed[a][b]: classes a and b may share a face (made symmetric: both entries must allow). */
  allowed: readonly (readonly boolean[])[];
  /** K probabilities per voxel, interleaved. */
  probabilities: Float32Array;
  classes: number;
  maxIterations?: number;
}

/** Face pairs whose classes may not touch. */
export function countConflicts(labels: Uint8Array, shape: Vec3, allowed: readonly (readonly boolean[])[]): number {
  const [nx, ny, nz] = shape;
  const ok = (a: number, b: number) => (allowed[a]?.[b] ?? false) && (allowed[b]?.[a] ?? false);
  let n = 0;
  for (let z = 0, i = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        const a = labels[i];
        if (x + 1 < nx && !ok(a, labels[i + 1])) n++;
        if (y + 1 < ny && !ok(a, labels[i + nx])) n++;
        if (z + 1 < nz && !ok(a, labels[i + nx * ny])) n++;
      }
    }
  }
  return n;
}

export function enforceAdjacency(labels: Uint8Array, shape: Vec3, options: AdjacencyOptions): StepReport {
  const before = classCounts(labels);
  const [nx, ny, nz] = shape;
  const K = options.classes;
  const P = options.probabilities;
  if (P.length !== labels.length * K) throw new RangeError(`probabilities hold ${P.length} values, expected ${labels.length} x ${K}`);
  const allowedSym: boolean[][] = Array.from({ length: 256 }, (_, a) =>
    Array.from({ length: 256 }, (_, b) => (options.allowed[a]?.[b] ?? false) && (options.allowed[b]?.[a] ?? false)),
  );
  const original = labels.slice();
  const maxIterations = options.maxIterations ?? 10;
  const steps = [1, -1, nx, -nx, nx * ny, -nx * ny];
  const inside = (x: number, y: number, z: number, d: number) =>
    d === 0 ? x + 1 < nx : d === 1 ? x > 0 : d === 2 ? y + 1 < ny : d === 3 ? y > 0 : d === 4 ? z + 1 < nz : z > 0;
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const current = labels.slice();
    const conf = (i: number) => P[i * K + current[i]];
    let moved = 0;
    for (let z = 0, i = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++, i++) {
          const a = current[i];
          let violator = false;
          for (let d = 0; d < 6 && !violator; d++) {
            if (!inside(x, y, z, d)) continue;
            const j = i + steps[d];
            if (allowedSym[a][current[j]]) continue;
            const cj = conf(j);
            const ci = conf(i);
            if (cj > ci || (cj === ci && j < i)) violator = true;
          }
          if (!violator) continue;
          let best = -1;
          let bestP = -Infinity;
          for (let c = 0; c < K; c++) {
            let fits = true;
            for (let d = 0; d < 6 && fits; d++) if (inside(x, y, z, d) && !allowedSym[c][current[i + steps[d]]]) fits = false;
            if (fits && P[i * K + c] > bestP) {
              bestP = P[i * K + c];
              best = c;
            }
          }
          if (best >= 0 && best !== a) {
            labels[i] = best;
            moved++;
          }
        }
      }
    }
    if (moved === 0) break;
  }
  let changed = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] !== original[i]) changed++;
  return { ...report('adjacency', before, labels, changed), unresolved: countConflicts(labels, shape, options.allowed), iterations };
}
