/** The 3D views' starting camera on a volume's grid. */
import type { VolumeMeta } from '../../../ipc/contract.ts';
import { boundsCenter, boundsDiagonal, worldBounds } from '../core/geometry.ts';
import type { VtkView } from './useVtkView.ts';

/** Seen from the front (anterior, -y in LPS), superior up, slightly from the patient's left and above; the grid fills the view. */
export function resetFrontCamera(view: VtkView, m: VolumeMeta): void {
  const camera = view.renderer.getActiveCamera();
  const bounds = worldBounds(m);
  const c = boundsCenter(bounds);
  const d = boundsDiagonal(bounds) || 1;
  camera.setFocalPoint(c[0], c[1], c[2]);
  camera.setPosition(c[0] + d * 0.6, c[1] - d * 1.6, c[2] + d * 0.5);
  camera.setViewUp(0, 0, 1);
  view.renderer.resetCamera(bounds as [number, number, number, number, number, number]);
  view.requestRender();
}
