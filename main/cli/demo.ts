// `npm run demo`: the main job, headless, on cpu — make the electrode phantom, create a project, import the cases,
// split them, compute intensity statistics, train a 2.5D U-Net (scored against multi-Otsu), export it to ONNX, predict
// every case with test-time-augmentation uncertainty, evaluate, write the report (HTML and PDF); then say where
// everything is and how to look at it.
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import '../io/formats.ts';
import { assignSplits, computeStatistics, importCase, initProject } from '../dataset/index.ts';
import { readVolume, writeVolume } from '../io/registry.ts';
import { electrodeLabels, electrodePhantom } from '../phantom/electrode.ts';
import { evaluateRun } from '../evaluation/index.ts';
import { exportTrainedModel } from '../inference/onnx/export.ts';
import { runPrediction } from '../inference/run.ts';
import { writeReport } from '../report/index.ts';
import { formatDemoResult, trainDemoModel } from '../training/runs/demo.ts';
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

  console.log(`1/8 phantom: 4 cases of ${SIZE}^3 from ${path.relative(process.cwd(), electrodeFile)}`);
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
  console.log(`2/8 project: ${project}`);
  await initProject(project, { name: 'electrode phantom demo' });
  for (const f of files) {
    const r = await importCase(project, { image: f.image, label: f.label, caseId: f.id, domain: 'xct-phantom', modality: ['XCT'] });
    console.log(`    imported ${r.case.id}: ${r.case.labelCounts.map((c) => `${c.value}=${c.count}`).join(' ')}`);
  }
  console.log('3/8 split: 2 folds, seed 42');
  const split = await assignSplits(project, { folds: 2, seed: 42 });
  for (const c of split.cases) console.log(`    ${c.caseId}: ${c.pool}, validation in fold ${c.fold}`);
  console.log('4/8 statistics');
  for (const s of await computeStatistics(project)) {
    console.log(`    ${s.domain}/${s.modality}: mean ${s.mean?.toFixed(2)} std ${s.std?.toFixed(2)} p0.5 ${s.p0_5?.toFixed(2)} p99.5 ${s.p99_5?.toFixed(2)} over ${s.voxelCount} foreground voxels`);
  }
  console.log('5/8 training: a 2.5D U-Net on cpu (resources/configs/demo-2.5d.yaml), scored against multi-Otsu');
  const training = await trainDemoModel(project, { log: (line) => console.log(line) });
  console.log(formatDemoResult(training));

  console.log('6/8 prediction: ONNX export of the best checkpoint, sliding window with flip TTA and its uncertainty');
  const checkpoints = path.join(project, 'runs', training.runId, 'checkpoints');
  const modelFile = path.join(outDir, 'model', 'demo-2.5d.onnx');
  await exportTrainedModel(path.join(checkpoints, existsSync(path.join(checkpoints, 'best')) ? 'best' : 'last'), modelFile);
  // Only the cases the model did not train on (validation cases of fold 0), so that the evaluation is held out.
  const heldOut = split.cases.filter((c) => c.fold === 0).map((c) => c.caseId);
  const prediction = await runPrediction({ models: [modelFile], project, runId: training.runId, cases: heldOut, tta: true, uncertainty: 'tta' });
  console.log(`    provider ${prediction.provider}`);
  for (const c of prediction.cases) {
    console.log(`    ${c.caseId}: ${c.windows} windows in ${(c.ms / 1000).toFixed(1)} s, uncertainty score ${c.uncertaintyScore?.toFixed(4) ?? 'n/a'}`);
  }

  console.log(`7/8 evaluation of the held-out cases (MONAI conventions; distances in the volumes' spacing units)`);
  const evaluation = await evaluateRun(project, training.runId);
  for (const row of evaluation.summary.filter((r) => ['dice', 'hd95', 'assd'].includes(r.metric))) {
    console.log(`    ${row.className.padEnd(14)} ${row.metric.padEnd(5)} mean ${row.mean.toFixed(4)} (95% CI ${row.ciLow.toFixed(4)}-${row.ciHigh.toFixed(4)}, n=${row.n})`);
  }

  console.log('8/8 report');
  const reportHtml = path.join(project, 'reports', `${training.runId}.html`);
  const reportPdf = path.join(project, 'reports', `${training.runId}.pdf`);
  await writeReport(project, training.runId, reportHtml);
  await writeReport(project, training.runId, reportPdf);

  console.log(`
Done in ${((performance.now() - t0) / 1000).toFixed(1)} s.
  phantom volumes   ${phantomDir}
  project           ${project} (catalogue.sqlite, volumes/*.ome.zarr)
  training run      ${path.join(project, 'runs', training.runId)} (checkpoints, metrics in the catalogue)
  ONNX model        ${modelFile} (+ .card.json)
  predictions       ${path.join(project, 'runs', training.runId, 'predictions')} (label, probabilities, entropy, mutual_information, variance)
  evaluation        ${evaluation.files.cases}, ${evaluation.files.summaryCsv}
  report            ${reportHtml}
                    ${reportPdf}
Look at it:
  npm run web -- --project ${project}     the viewer in a browser (open the printed URL)
  npm start                               the desktop app (Electron), then File > Open Project
  npx segstation evaluate ${project} --run ${training.runId}
  npx segstation info ${files[0].image} ${files[0].label}`);
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
