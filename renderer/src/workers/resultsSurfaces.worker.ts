/// <reference lib="webworker" />
// Surfaces for the results explorer's 3D view, off the main thread: the prediction's label surfaces, or the error
// surfaces (false positives and false negatives of the prediction against the truth, classified here from the two
// label levels).
import { labelSurfaces } from '../core/surfaces.ts';
import { ERROR_CODE, classifyErrors } from '../core/results/errorMap.ts';

export type ResultsSurfaceRequest =
  | { requestId: number; mode: 'labels'; labels: ArrayLike<number>; shape: [number, number, number]; values: number[] }
  | { requestId: number; mode: 'errors'; truth: ArrayLike<number>; pred: ArrayLike<number>; shape: [number, number, number] };

self.onmessage = (event: MessageEvent<ResultsSurfaceRequest>) => {
  const request = event.data;
  try {
    const surfaces =
      request.mode === 'labels'
        ? labelSurfaces(request.labels, request.shape, request.values)
        : labelSurfaces(classifyErrors(request.truth, request.pred), request.shape, [ERROR_CODE.falsePositive, ERROR_CODE.falseNegative]);
    const transfer = surfaces.flatMap((s) => [s.points.buffer, s.polys.buffer, s.normals.buffer]);
    (self as unknown as Worker).postMessage({ requestId: request.requestId, surfaces }, transfer as Transferable[]);
  } catch (error) {
    (self as unknown as Worker).postMessage({ requestId: request.requestId, error: error instanceof Error ? error.message : String(error) });
  }
};
