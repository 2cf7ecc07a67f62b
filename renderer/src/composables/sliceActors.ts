/**
 * What every slice view draws with and how it places its camera: the image slice (scalars through a colour transfer
 * function), an RGBA overlay (CPU-coloured, nearest neighbour), two crosshair lines, and the camera fit to a volume's
 * grid. Used by the viewer's slice views and the results explorer's linked ones; the vtk objects live as long as the
 * calling component's effect scope.
 */
import { onScopeDispose } from 'vue';
import vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import vtkImageMapper from '@kitware/vtk.js/Rendering/Core/ImageMapper';
import vtkImageSlice from '@kitware/vtk.js/Rendering/Core/ImageSlice';
import vtkColorTransferFunction from '@kitware/vtk.js/Rendering/Core/ColorTransferFunction';
import vtkPolyData from '@kitware/vtk.js/Common/DataModel/PolyData';
import vtkMapper from '@kitware/vtk.js/Rendering/Core/Mapper';
import vtkActor from '@kitware/vtk.js/Rendering/Core/Actor';
import { InterpolationType } from '@kitware/vtk.js/Rendering/Core/ImageProperty/Constants';
import type { VolumeMeta } from '../../../ipc/contract.ts';
import { boundsCenter, boundsDiagonal, indexToWorld, worldBounds, type Vec3 } from '../core/geometry.ts';
import type { CameraOrientation } from '../core/orientation.ts';
import { inPlaneAxes } from '../core/slices.ts';
import type { VtkView } from './useVtkView.ts';

export interface SliceActors {
  image: vtkImageData;
  mapper: vtkImageMapper;
  actor: vtkImageSlice;
  ctf: vtkColorTransferFunction;
  overlay: vtkImageData;
  overlayMapper: vtkImageMapper;
  overlayActor: vtkImageSlice;
  crossActors: vtkActor[];
  crossPolys: vtkPolyData[];
}

/** The image slice, overlay and crosshair actors, added to the view's renderer (all hidden until drawn). */
export function useSliceActors(view: VtkView): SliceActors {
  const image = vtkImageData.newInstance();
  const mapper = vtkImageMapper.newInstance();
  mapper.setInputData(image);
  const actor = vtkImageSlice.newInstance();
  actor.setMapper(mapper);
  const ctf = vtkColorTransferFunction.newInstance();
  actor.getProperty().setRGBTransferFunction(0, ctf);
  actor.getProperty().setUseLookupTableScalarRange(true);
  actor.getProperty().setInterpolationType(InterpolationType.LINEAR);
  // Hidden until its first slice arrives: an image mapper without scalars has no texture to draw.
  actor.setVisibility(false);

  // Overlay: RGBA, drawn a hair in front of the image (see towardsCamera) so the two never z-fight.
  const overlay = vtkImageData.newInstance();
  const overlayMapper = vtkImageMapper.newInstance();
  overlayMapper.setInputData(overlay);
  const overlayActor = vtkImageSlice.newInstance();
  overlayActor.setMapper(overlayMapper);
  overlayActor.getProperty().setIndependentComponents(false);
  overlayActor.getProperty().setColorWindow(255);
  overlayActor.getProperty().setColorLevel(127.5);
  overlayActor.getProperty().setInterpolationType(InterpolationType.NEAREST);
  overlayActor.setVisibility(false);

  const crossPolys = [vtkPolyData.newInstance(), vtkPolyData.newInstance()];
  const crossMappers = [vtkMapper.newInstance(), vtkMapper.newInstance()];
  const crossActors = [vtkActor.newInstance(), vtkActor.newInstance()];
  crossActors.forEach((a, i) => {
    crossMappers[i].setInputData(crossPolys[i]);
    a.setMapper(crossMappers[i]);
    a.getProperty().setLineWidth(1);
    a.setVisibility(false);
  });

  view.renderer.addActor(actor);
  view.renderer.addActor(overlayActor);
  crossActors.forEach((a) => view.renderer.addActor(a));

  onScopeDispose(() => {
    [actor, overlayActor, ...crossActors].forEach((a) => a.delete());
    [mapper, overlayMapper, ...crossMappers].forEach((m) => m.delete());
    [image, overlay, ...crossPolys, ctf].forEach((o) => o.delete());
  });

  return { image, mapper, actor, ctf, overlay, overlayMapper, overlayActor, crossActors, crossPolys };
}

/** The screen's right direction for a camera looking along dop with viewUp up. */
export function screenRight({ directionOfProjection: dop, viewUp }: CameraOrientation): Vec3 {
  return [dop[1] * viewUp[2] - dop[2] * viewUp[1], dop[2] * viewUp[0] - dop[0] * viewUp[2], dop[0] * viewUp[1] - dop[1] * viewUp[0]];
}

/** A world offset of `distance` from the slice plane towards the camera. */
export function towardsCamera(camera: CameraOrientation, distance: number): Vec3 {
  const dop = camera.directionOfProjection;
  return [-dop[0] * distance, -dop[1] * distance, -dop[2] * distance];
}

/**
 * Points the view's parallel camera at the grid of `m` from `camera`'s orientation and fits the grid's extent along
 * the screen's vertical and horizontal axes (half a voxel margin each side), divided by `zoom`.
 */
export function fitSliceCamera(view: VtkView, m: VolumeMeta, camera: CameraOrientation, zoom = 1): void {
  const cam = view.renderer.getActiveCamera();
  const { directionOfProjection: dop, viewUp } = camera;
  const bounds = worldBounds(m);
  const center = boundsCenter(bounds);
  const diag = boundsDiagonal(bounds) || 1;
  cam.setParallelProjection(true);
  cam.setFocalPoint(center[0], center[1], center[2]);
  cam.setPosition(center[0] - dop[0] * diag * 2, center[1] - dop[1] * diag * 2, center[2] - dop[2] * diag * 2);
  cam.setViewUp(viewUp[0], viewUp[1], viewUp[2]);
  // Extent of the grid's corners along a screen direction (tighter than the world bounding box when rotated).
  const corners = [0, 1, 2, 3, 4, 5, 6, 7].map((c) => indexToWorld(m, [0, 1, 2].map((a) => ((c >> a) & 1 ? m.shape[a] - 1 : 0))));
  const extent = (dir: Vec3) => {
    const along = corners.map((p) => p[0] * dir[0] + p[1] * dir[1] + p[2] * dir[2]);
    return Math.max(...along) - Math.min(...along);
  };
  const [w, h] = view.size();
  const aspect = w > 0 && h > 0 ? w / h : 1;
  const halfHeight = Math.max(extent(viewUp) / 2, extent(screenRight(camera)) / 2 / aspect) + Math.max(...m.spacing);
  cam.setParallelScale((halfHeight * 1.02) / zoom);
  cam.setClippingRange(diag * 0.5, diag * 4);
}

/**
 * Draws the two crosshair lines of a slice view on `axis` through voxel `crosshair` of `m`'s grid, each across the
 * whole grid, lifted towards the camera so they stay in front of the slice. Line i runs along inPlaneAxes(axis)[i].
 */
export function placeCrosshair(actors: SliceActors, m: VolumeMeta, axis: 0 | 1 | 2, crosshair: readonly number[], camera: CameraOrientation): void {
  const lift = towardsCamera(camera, Math.min(...m.spacing) * 0.1);
  inPlaneAxes(axis).forEach((along, i) => {
    const from = [...crosshair];
    const to = [...crosshair];
    from[along] = -0.5;
    to[along] = m.shape[along] - 0.5;
    const a = indexToWorld(m, from);
    const b = indexToWorld(m, to);
    const poly = actors.crossPolys[i];
    poly.getPoints().setData(new Float32Array([a[0] + lift[0], a[1] + lift[1], a[2] + lift[2], b[0] + lift[0], b[1] + lift[1], b[2] + lift[2]]), 3);
    poly.getLines().setData(new Uint32Array([2, 0, 1]));
    poly.modified();
    actors.crossActors[i].setVisibility(true);
  });
}
