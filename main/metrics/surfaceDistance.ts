/**
 * Surface distances between two masks, MONAI's `get_edge_surface_distance(..., symmetric=True)`:
 *   1. border voxels of each mask (masks.ts: mask XOR erode(mask), 6-neighbour cross, zero padding);
 *   2. for every border voxel of one mask, the Euclidean distance (spacing-aware, between voxel centres) to the
 *      nearest border voxel of the other, from an exact distance transform (edt.ts);
 *   3. empty cases: both masks empty -> no distances (metrics become NaN); exactly one empty -> each direction holds
 *      Infinity once per border voxel of the non-empty mask (metrics become Infinity, surface Dice 0).
 * Work is restricted to the bounding box of the two masks grown by one voxel, as MONAI crops; this changes nothing
 * because voxels outside the grid and outside the box are background either way.
 */
import { squaredDistanceTransform } from './edt.ts';
import { borderVoxels, boundingBox, boxShape, countSet, cropMask, growBox } from './masks.ts';
import { assertSameGrid, type Mask } from './types.ts';

export interface SurfaceDistances {
  /** For each border voxel of the prediction: distance to the nearest border voxel of the ground truth. */
  predToTruth: Float64Array;
  /** For each border voxel of the ground truth: distance to the nearest border voxel of the prediction. */
  truthToPred: Float64Array;
}

export function computeSurfaceDistances(pred: Mask, truth: Mask): SurfaceDistances {
  assertSameGrid(pred, truth);
  const box = boundingBox(pred.shape, [pred.data, truth.data]);
  if (!box) return { predToTruth: new Float64Array(0), truthToPred: new Float64Array(0) };
  const grown = growBox(box, 1, pred.shape);
  const shape = boxShape(grown);
  const predBorder = borderVoxels(cropMask(pred.data, pred.shape, grown), shape);
  const truthBorder = borderVoxels(cropMask(truth.data, truth.shape, grown), shape);
  const nPred = countSet(predBorder);
  const nTruth = countSet(truthBorder);
  if (nPred === 0 || nTruth === 0) {
    const n = Math.max(nPred, nTruth);
    return { predToTruth: new Float64Array(n).fill(Infinity), truthToPred: new Float64Array(n).fill(Infinity) };
  }
  return {
    predToTruth: sampleDistances(squaredDistanceTransform(truthBorder, shape, pred.spacing), predBorder, nPred),
    truthToPred: sampleDistances(squaredDistanceTransform(predBorder, shape, pred.spacing), truthBorder, nTruth),
  };
}

/** sqrt of `squared` at the voxels set in `at`, in memory order. */
function sampleDistances(squared: Float64Array, at: Uint8Array, count: number): Float64Array {
  const out = new Float64Array(count);
  let j = 0;
  for (let i = 0; i < at.length; i++) if (at[i]) out[j++] = Math.sqrt(squared[i]);
  return out;
}
