// Web mode, Chromium with software WebGL2: time from "open" (the volume.open request) to the 3D view's first frame,
// for 128^3 and 256^3 int16 phantoms written to a temp NIfTI. The 3D view draws the coarsest pyramid level first and
// then refines. Reference, same run: fetching the full-resolution voxels of the same volume over the data plane.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import '../../main/io/formats.ts';
import { writeVolume } from '../../main/io/registry.ts';
import type { Vec3 } from '../../main/volume/volume.ts';
import { ctLikeInt16 } from '../lib/phantoms.ts';
import { emit, median } from '../lib/result.ts';
import { openViewer } from '../../tests/e2e/helpers/viewer.ts';
import type { HookHost, HookState } from '../../renderer/src/testHookApi.ts';

const SIZES = [128, 256];
const REPEATS = 3;

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-bench-viewer-'));
const session = await openViewer('shade=0');
try {
  const { page, server } = session;
  for (const n of SIZES) {
    const shape: Vec3 = [n, n, n];
    const file = path.join(dir, `phantom${n}.nii`);
    await writeVolume(ctLikeInt16(shape), file);
    const firstFrame: number[] = [];
    const refined: number[] = [];
    const fetchFull: number[] = [];
    let levels: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const result = await page.evaluate(async (p) => {
        const hook = (globalThis as unknown as HookHost).__segstation!;
        const t0 = performance.now();
        await hook.openFiles(p);
        // No named helpers in here: tsx would wrap them in a __name() call the page does not have.
        let s: HookState = hook.state();
        while (s.error === null && (s.firstFrameAt === null || s.refinedFrameAt === null)) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          s = hook.state();
        }
        return { t0, state: s };
      }, file);
      if (result.state.error) throw new Error(result.state.error);
      firstFrame.push(result.state.firstFrameAt! - result.t0);
      refined.push(result.state.refinedFrameAt! - result.t0);
      const id = result.state.imageId!;
      const meta = await session.engine.call('volume.meta', { volumeId: id });
      levels = meta.levels.map((l) => l.level);
      // The same volume's full-resolution bytes over the data plane (the engine has it in memory by now).
      const t1 = performance.now();
      const response = await fetch(`${server.url}/data/volumes/${id}/level/0`, { headers: { Authorization: `Bearer ${server.token}` } });
      const bytes = (await response.arrayBuffer()).byteLength;
      fetchFull.push(performance.now() - t1);
      if (bytes < n * n * n * 2) throw new Error(`level 0 of ${id}: ${bytes} bytes`);
      await session.engine.call('volume.close', { volumeId: id });
    }
    const reference = median(fetchFull);
    const value = median(firstFrame);
    emit({
      name: `${n}^3 int16: open -> first 3D frame (web mode, median of ${REPEATS})`,
      value,
      unit: 'ms',
      reference: { name: `fetch full-resolution voxels over the data plane (${(n ** 3 * 2) / 2 ** 20} MiB)`, value: reference },
      ratio: value / reference,
      better: 'lower',
      note: `pyramid levels ${levels.join(',')}; first frame at the coarsest, refined frame at ${median(refined).toFixed(0)} ms; software WebGL (SwiftShader), shading off; open includes reading the NIfTI`,
    });
  }
} finally {
  await session.close();
  await fs.rm(dir, { recursive: true, force: true });
}
