/**
 * Which index axis each slice view shows, and how its camera looks at the patient. Views are defined in world (LPS)
 * terms, so a volume stored in any orientation shows axial slices in the axial view.
 */
import type { Mat3, Vec3 } from './geometry.ts';

export type Axis = 0 | 1 | 2;
export type SliceViewName = 'axial' | 'coronal' | 'sagittal';
export const SLICE_VIEWS: readonly SliceViewName[] = ['axial', 'coronal', 'sagittal'];

/** World (LPS) axis normal to each view. */
const WORLD_NORMAL: Record<SliceViewName, Axis> = { sagittal: 0, coronal: 1, axial: 2 };

const PERMUTATIONS: readonly [Axis, Axis, Axis][] = [
  [0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0],
];

/**
 * The index axis shown by each view: the assignment of index axes to world normals that maximises the summed
 * |cos| between them, so every view gets a distinct axis even for a 45° oblique volume.
 */
export function viewAxes(direction: Mat3): Record<SliceViewName, Axis> {
  let best = PERMUTATIONS[0];
  let bestScore = -Infinity;
  for (const perm of PERMUTATIONS) {
    // perm[w] = index axis assigned to world axis w; direction[w*3 + j] is the w component of index axis j.
    const score = perm.reduce<number>((s, j, w) => s + Math.abs(direction[w * 3 + j]), 0);
    if (score > bestScore + 1e-9) {
      bestScore = score;
      best = perm;
    }
  }
  return { sagittal: best[WORLD_NORMAL.sagittal], coronal: best[WORLD_NORMAL.coronal], axial: best[WORLD_NORMAL.axial] };
}

export interface CameraOrientation {
  /** Unit vector from the camera towards the focal point. */
  directionOfProjection: Vec3;
  viewUp: Vec3;
}

/**
 * Radiological convention: axial seen from the feet with anterior up, coronal seen from the front with superior up
 * (patient left on screen right in both), sagittal seen from the patient's left with superior up (anterior on the
 * left). LPS: +x left, +y posterior, +z superior.
 */
export function cameraForView(view: SliceViewName): CameraOrientation {
  switch (view) {
    case 'axial':
      return { directionOfProjection: [0, 0, 1], viewUp: [0, -1, 0] };
    case 'coronal':
      return { directionOfProjection: [0, 1, 0], viewUp: [0, 0, 1] };
    case 'sagittal':
      return { directionOfProjection: [-1, 0, 0], viewUp: [0, 0, 1] };
  }
}

/**
 * +1 when increasing the index along `axis` moves the slice towards the view's camera (inferior for axial, anterior
 * for coronal, left for sagittal), else -1; so "scroll up" moves the same way in every volume, whatever its storage
 * order.
 */
export function towardsViewer(direction: Mat3, view: SliceViewName, axis: Axis): 1 | -1 {
  const dop = cameraForView(view).directionOfProjection;
  const column = [direction[axis], direction[3 + axis], direction[6 + axis]];
  const dot = dop[0] * column[0] + dop[1] * column[1] + dop[2] * column[2];
  return dot <= 0 ? 1 : -1;
}

function normalize(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]) || 1;
  return [v[0] / n, v[1] / n, v[2] / n];
}

/**
 * The camera of a slice view for a volume with this direction: it looks straight along the shown index axis (so the
 * slice is seen face-on, undistorted, and a rotated volume shows its rotation in-plane), on the same side as the
 * view's radiological camera, with the radiological "up" projected into the slice plane.
 */
export function sliceCamera(direction: Mat3, view: SliceViewName): CameraOrientation {
  const axis = viewAxes(direction)[view];
  const ideal = cameraForView(view);
  const column: Vec3 = [direction[axis], direction[3 + axis], direction[6 + axis]];
  const d = ideal.directionOfProjection;
  const sign = column[0] * d[0] + column[1] * d[1] + column[2] * d[2] < 0 ? -1 : 1;
  const dop = normalize([column[0] * sign, column[1] * sign, column[2] * sign]);
  const u = ideal.viewUp;
  const along = u[0] * dop[0] + u[1] * dop[1] + u[2] * dop[2];
  let up: Vec3 = [u[0] - along * dop[0], u[1] - along * dop[1], u[2] - along * dop[2]];
  if (Math.hypot(up[0], up[1], up[2]) < 1e-6) up = [dop[1], dop[2], dop[0]];
  return { directionOfProjection: dop, viewUp: normalize(up) };
}
