/**
 * The voxel faces between two different classes, grouped by phase pair. A face lies between voxel p and its +1
 * neighbour along one index axis; only faces inside the grid count (the grid's outer boundary is no interface).
 * This is the exact interface between phases i and j on the voxel grid: the surface of class i restricted to where it
 * touches class j, with no surface where i meets any other class.
 */

/** Most classes a label map may have for pair interfaces (n(n-1)/2 pairs). */
export const MAX_INTERFACE_CLASSES = 64;

export interface InterfaceFaces {
  /** Class values present, ascending. */
  values: number[];
  /**
   * Faces per pair, keyed by pairKey(a, b) (a < b, class values). Each face code is
   * ((voxelIndex * 3 + axis) * 2 + flip): flip 0 when voxel p holds a and its neighbour b, 1 when p holds b.
   */
  pairs: Map<string, Uint32Array>;
}

export function pairKey(a: number, b: number): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`;
}

export function parsePairKey(key: string): [number, number] {
  const [a, b] = key.split('-').map(Number);
  return [a, b];
}

/** Dense class index per voxel (0..values.length-1), and the values in ascending order. */
export function denseClasses(data: ArrayLike<number>, n: number): { index: Uint8Array; values: number[] } {
  const seen = new Set<number>();
  let last = NaN;
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (v === last) continue;
    last = v;
    if (!seen.has(v)) {
      seen.add(v);
      if (seen.size > MAX_INTERFACE_CLASSES) {
        throw new RangeError(`label map has more than ${MAX_INTERFACE_CLASSES} distinct values; pair interfaces need a class map`);
      }
    }
  }
  const values = [...seen].sort((x, y) => x - y);
  const lookup = new Map(values.map((v, i) => [v, i]));
  const index = new Uint8Array(n);
  last = NaN;
  let lastIndex = 0;
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (v !== last) {
      last = v;
      lastIndex = lookup.get(v)!;
    }
    index[i] = lastIndex;
  }
  return { index, values };
}

/** Every face between two different classes, grouped by pair (two passes: count, then fill). */
export function interfaceFaces(data: ArrayLike<number>, shape: readonly number[]): InterfaceFaces {
  const [nx, ny, nz] = shape;
  const n = nx * ny * nz;
  if (data.length !== n) throw new RangeError(`label data has ${data.length} values, shape ${shape.join('x')} needs ${n}`);
  if (n * 6 > 0xffffffff) throw new RangeError(`grid of ${n} voxels is too large for face codes`);
  const { index, values } = denseClasses(data, n);
  const k = values.length;
  const counts = new Uint32Array(k * k);
  const steps = [1, nx, nx * ny];
  const visit = (emit: (p: number, axis: number, ca: number, cb: number) => void) => {
    let p = 0;
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++, p++) {
          const c = index[p];
          if (x + 1 < nx && index[p + 1] !== c) emit(p, 0, c, index[p + 1]);
          if (y + 1 < ny && index[p + steps[1]] !== c) emit(p, 1, c, index[p + steps[1]]);
          if (z + 1 < nz && index[p + steps[2]] !== c) emit(p, 2, c, index[p + steps[2]]);
        }
      }
    }
  };
  visit((_p, _axis, ca, cb) => {
    counts[ca < cb ? ca * k + cb : cb * k + ca]++;
  });
  const lists: (Uint32Array | null)[] = Array.from(counts, (c) => (c > 0 ? new Uint32Array(c) : null));
  const fill = new Uint32Array(k * k);
  visit((p, axis, ca, cb) => {
    const slot = ca < cb ? ca * k + cb : cb * k + ca;
    lists[slot]![fill[slot]++] = (p * 3 + axis) * 2 + (ca < cb ? 0 : 1);
  });
  const pairs = new Map<string, Uint32Array>();
  for (let ia = 0; ia < k; ia++) {
    for (let ib = ia + 1; ib < k; ib++) {
      const list = lists[ia * k + ib];
      if (list) pairs.set(pairKey(values[ia], values[ib]), list);
    }
  }
  return { values, pairs };
}
