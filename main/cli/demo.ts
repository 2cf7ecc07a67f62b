// `npm run demo`: the main job, headless, as far as the engine goes today — make the electrode phantom, create a
// project, import the cases, split them and compute intensity statistics; then say where everything is.
// Training, inference with uncertainty, evaluation and the report join this script as their issues land.
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import '../io/formats.ts';
import { assignSplits, computeStatistics, importCase, initProject } from '../dataset/index.ts';
import { readVolume, writeVolume } from '../io/registry.ts';
import { electrodeLabels, electrodePhantom } from '../phantom/electrode.ts';
import { createVolume, type Volume } from '../volume/volume.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const electrodeFile = path.resolve(root, '../shared/data/taufactor/electrode.tiff');
const outDir = path.resolve(process.argv[2] ?? path.join(root, 'out/demo'));
const SIZE = 96;

function crop(volume: Volume, x0: number, y0: number, z0: number, n: number): Volume {
  const [nx, ny] = volume.shape;
  const data = new Uint8Array(n * n * n);
  for (let z = 0; z < n; z++) {
    for (let y = 0; y < n; y++) {
      const src = ((z0 + z) * ny + (y0 + y)) * nx + x0;
      data.set(volume.data.subarray(src, src + n) as Uint8Array, (z * n + y) * n);
    }
  }
  return createVolume({ shape: [n, n, n], data, spacing: volume.spacing });
}

async function main(): Promise<void> {
  if (!existsSync(electrodeFile)) {
    throw new Error(`the phantom is made from ${electrodeFile} (shared reference data), which is missing`);
  }
  const t0 = performance.now();
  await fs.rm(outDir, { recursive: true, force: true });
  const phantomDir = path.join(outDir, 'phantom');
  await fs.mkdir(phantomDir, { recursive: true });

  console.log(`1/4 phantom: 4 cases of ${SIZE}^3 from ${path.relative(process.cwd(), electrodeFile)}`);
  const segmentation = await readVolume(electrodeFile);
  const corners: [number, number, number][] = [[0, 0, 0], [160, 0, 0], [0, 160, 160], [160, 160, 160]];
  const files: { image: string; label: string; id: string }[] = [];
  for (const [i, [x0, y0, z0]] of corners.entries()) {
    const labels = electrodeLabels(crop(segmentation, x0, y0, z0, SIZE), undefined, 0.001);
    const image = electrodePhantom(labels, { seed: 100 + i });
    const id = `electrode_${i}`;
    const imageFile = path.join(phantomDir, `${id}.nii.gz`);
    const labelFile = path.join(phantomDir, `${id}_label.nrrd`);
    await writeVolume(image, imageFile);
    await writeVolume(labels, labelFile); // NRRD keeps the phase names and colours
    files.push({ image: imageFile, label: labelFile, id });
  }

  const project = path.join(outDir, 'project');
  console.log(`2/4 project: ${project}`);
  await initProject(project, { name: 'electrode phantom demo' });
  for (const f of files) {
    const r = await importCase(project, { image: f.image, label: f.label, caseId: f.id, domain: 'xct-phantom', modality: ['XCT'] });
    console.log(`    imported ${r.case.id}: ${r.case.labelCounts.map((c) => `${c.value}=${c.count}`).join(' ')}`);
  }
  console.log('3/4 split: 2 folds, seed 42');
  const split = await assignSplits(project, { folds: 2, seed: 42 });
  for (const c of split.cases) console.log(`    ${c.caseId}: ${c.pool}, validation in fold ${c.fold}`);
  console.log('4/4 statistics');
  for (const s of await computeStatistics(project)) {
    console.log(`    ${s.domain}/${s.modality}: mean ${s.mean?.toFixed(2)} std ${s.std?.toFixed(2)} p0.5 ${s.p0_5?.toFixed(2)} p99.5 ${s.p99_5?.toFixed(2)} over ${s.voxelCount} foreground voxels`);
  }
  console.log(`
Done in ${((performance.now() - t0) / 1000).toFixed(1)} s.
  phantom volumes   ${phantomDir}
  project           ${project} (catalogue.sqlite, volumes/*.ome.zarr)
Look at it:
  npx segstation info ${files[0].image} ${files[0].label}
  npx segstation stats ${project}
Not yet in the demo: training, prediction with uncertainty, evaluation, the report and the viewer
(npm start / npm run web) — they are the next issues.`);
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
