/**
 * The boundaries workspace's whole computation, pure (runs in the worker, testable in Node): the interface mesh of
 * every phase pair of the shown label map, its exact area, and, given a ground truth on the same grid, each vertex's
 * distance to the true interface of the same pair.
 */
import { interfaceFaces, parsePairKey } from './faces.ts';
import { cornerDims, pairMesh, type PairMesh } from './pairMesh.ts';
import { summarizeErrors, vertexBoundaryErrors, type ErrorSummary } from './boundaryError.ts';
import { taubinSmooth, vertexNormals } from './smoothing.ts';

export interface BoundaryInput {
  /** Label map whose interfaces are drawn (a prediction, or any label volume). */
  labels: ArrayLike<number>;
  /** Ground truth on the same grid, for the boundary error; omitted without one. */
  truth?: ArrayLike<number>;
  shape: readonly number[];
  spacing: readonly number[];
  /** Taubin smoothing iterations (0 = exact voxel faces). */
  smoothing?: number;
}

export interface PairResult extends PairMesh {
  /** Distance per vertex to the true interface of the pair (physical units), when a truth was given. */
  errors?: Float32Array;
  errorSummary?: ErrorSummary;
  /** Faces of this pair in the truth (0: the truth has no such interface), when a truth was given. */
  truthFaces?: number;
}

export interface BoundaryResult {
  pairs: PairResult[];
  /** Pairs present in the truth but not in the labels (missed interfaces), as [a, b]. */
  missedPairs: [number, number][];
}

export function computeBoundaries(input: BoundaryInput, onProgress: (fraction: number, stage: string) => void = () => undefined): BoundaryResult {
  const { labels, truth, shape, spacing } = input;
  const n = shape[0] * shape[1] * shape[2];
  if (truth && truth.length !== n) throw new RangeError(`ground truth has ${truth.length} voxels, the label grid ${shape.join('x')} has ${n}`);
  onProgress(0, 'interface faces');
  const predicted = interfaceFaces(labels, shape);
  const true_ = truth ? interfaceFaces(truth, shape) : null;
  const scratch = new Int32Array(cornerDims(shape).reduce((m, d) => m * d, 1));
  const keys = [...predicted.pairs.keys()];
  const pairs: PairResult[] = [];
  for (const [i, key] of keys.entries()) {
    onProgress((i + 0.5) / keys.length, `pair ${key}`);
    const [a, b] = parsePairKey(key);
    const mesh: PairResult = pairMesh(a, b, predicted.pairs.get(key)!, shape, spacing, scratch);
    if (input.smoothing && input.smoothing > 0) {
      taubinSmooth(mesh.points, mesh.polys, input.smoothing);
      mesh.normals = vertexNormals(mesh.points, mesh.polys);
    }
    if (true_) {
      const truthFaces = true_.pairs.get(key);
      mesh.truthFaces = truthFaces?.length ?? 0;
      mesh.errors = vertexBoundaryErrors(mesh.points, truthFaces, shape, spacing);
      mesh.errorSummary = summarizeErrors(mesh.errors);
    }
    pairs.push(mesh);
  }
  const missedPairs = true_ ? [...true_.pairs.keys()].filter((k) => !predicted.pairs.has(k)).map(parsePairKey) : [];
  onProgress(1, 'done');
  return { pairs, missedPairs };
}
