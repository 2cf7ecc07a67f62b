/// <reference lib="webworker" />
// Runs label surface extraction off the main thread.
import { labelSurfaces } from '../core/surfaces.ts';

export interface SurfaceRequest {
  requestId: number;
  data: ArrayLike<number> & { buffer: ArrayBufferLike };
  shape: [number, number, number];
  values: number[];
}

self.onmessage = (event: MessageEvent<SurfaceRequest>) => {
  const { requestId, data, shape, values } = event.data;
  try {
    const surfaces = labelSurfaces(data, shape, values);
    const transfer = surfaces.flatMap((s) => [s.points.buffer, s.polys.buffer, s.normals.buffer]);
    (self as unknown as Worker).postMessage({ requestId, surfaces }, transfer as Transferable[]);
  } catch (error) {
    (self as unknown as Worker).postMessage({ requestId, error: error instanceof Error ? error.message : String(error) });
  }
};
