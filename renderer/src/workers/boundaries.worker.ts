/// <reference lib="webworker" />
// Phase-pair interface meshes and boundary errors, off the main thread (see core/boundaries/compute.ts).
import { computeBoundaries, type PairResult } from '../core/boundaries/compute.ts';
import type { BoundariesReply, BoundariesRequest } from './boundariesProtocol.ts';

const post = (message: BoundariesReply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(message, transfer);

self.onmessage = (event: MessageEvent<BoundariesRequest>) => {
  const { requestId, labels, truth, shape, spacing, smoothing } = event.data;
  try {
    let lastPost = 0;
    const result = computeBoundaries({ labels, truth, shape, spacing, smoothing }, (fraction, stage) => {
      const now = performance.now();
      if (now - lastPost < 100 && fraction < 1) return;
      lastPost = now;
      post({ requestId, progress: { fraction, stage } });
    });
    const transfer = result.pairs.flatMap((p: PairResult) => [p.points.buffer, p.polys.buffer, p.normals.buffer, ...(p.errors ? [p.errors.buffer] : [])]);
    post({ requestId, result }, transfer as Transferable[]);
  } catch (error) {
    post({ requestId, error: error instanceof Error ? error.message : String(error) });
  }
};
