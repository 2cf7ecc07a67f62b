/**
 * Label surfaces in a 3D view: a worker that extracts them (requests answered by { requestId, surfaces | error }),
 * and one vtk actor per surface mesh, placed in world space by its block's index-to-world matrix.
 */
import vtkPolyData from '@kitware/vtk.js/Common/DataModel/PolyData';
import vtkDataArray from '@kitware/vtk.js/Common/Core/DataArray';
import vtkMapper from '@kitware/vtk.js/Rendering/Core/Mapper';
import vtkActor from '@kitware/vtk.js/Rendering/Core/Actor';
import type vtkRenderer from '@kitware/vtk.js/Rendering/Core/Renderer';
import type { VolumeBlock } from '../../../ipc/api.ts';
import { indexToWorldMatrix } from '../core/geometry.ts';
import type { LabelSurface } from '../core/surfaces.ts';

type SurfaceReply = { requestId: number; surfaces: LabelSurface[] } | { requestId: number; error: string };

/** A request without its requestId (which the client adds), for each member of a union of requests. */
export type WithoutRequestId<R> = R extends { requestId: number } ? Omit<R, 'requestId'> : never;

export interface SurfaceWorker<Request> {
  /** Posts `message` with a fresh requestId (transferring `transfer`); resolves with the worker's surfaces. */
  request(message: WithoutRequestId<Request>, transfer: Transferable[]): Promise<LabelSurface[]>;
  /** Stops the worker; requests still waiting are rejected. */
  close(): void;
}

export function surfaceWorker<Request extends { requestId: number }>(worker: Worker): SurfaceWorker<Request> {
  let nextRequest = 1;
  const waiting = new Map<number, { resolve: (s: LabelSurface[]) => void; reject: (e: Error) => void }>();
  worker.onmessage = (event: MessageEvent<SurfaceReply>) => {
    const entry = waiting.get(event.data.requestId);
    if (!entry) return;
    waiting.delete(event.data.requestId);
    if ('error' in event.data) entry.reject(new Error(`surface extraction: ${event.data.error}`));
    else entry.resolve(event.data.surfaces);
  };
  return {
    request: (message, transfer) =>
      new Promise((resolve, reject) => {
        const requestId = nextRequest++;
        waiting.set(requestId, { resolve, reject });
        worker.postMessage({ ...message, requestId }, transfer);
      }),
    close() {
      worker.terminate();
      for (const w of waiting.values()) w.reject(new Error('view closed'));
      waiting.clear();
    },
  };
}

export interface SurfaceActor {
  value: number;
  actor: vtkActor;
  mapper: vtkMapper;
  poly: vtkPolyData;
}

/** An actor for surface `s`, in the index coordinates of `block`, added to the renderer. */
export function addSurfaceActor(renderer: vtkRenderer, s: LabelSurface, block: VolumeBlock): SurfaceActor {
  const poly = vtkPolyData.newInstance();
  poly.getPoints().setData(s.points, 3);
  poly.getPolys().setData(s.polys);
  if (s.normals.length === s.points.length) poly.getPointData().setNormals(vtkDataArray.newInstance({ name: 'Normals', numberOfComponents: 3, values: s.normals }));
  const mapper = vtkMapper.newInstance();
  mapper.setInputData(poly);
  const actor = vtkActor.newInstance();
  actor.setMapper(mapper);
  actor.setUserMatrix(Float32Array.from(indexToWorldMatrix(block)));
  renderer.addActor(actor);
  return { value: s.value, actor, mapper, poly };
}

/** Removes the actors from the renderer and deletes their vtk objects. */
export function removeSurfaceActors(renderer: vtkRenderer, actors: readonly SurfaceActor[]): void {
  for (const a of actors) {
    renderer.removeActor(a.actor);
    a.actor.delete();
    a.mapper.delete();
    a.poly.delete();
  }
}
