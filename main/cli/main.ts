import '../io/formats.ts';
import { errorMessage, isInputError } from '../util/errors.ts';

const USAGE = `segstation — 3D segmentation workstation engine

Usage:
  segstation info FILE... [--json] [--label]      format, shape, geometry, value range (label counts for label maps)
  segstation convert IN OUT [--json]               any readable format to any writable one (chosen by OUT's extension)
  segstation project init DIR [--name NAME]        create a project folder with its catalogue
  segstation import DIR --image FILE [--image FILE ...] [--label FILE] [--case ID] [--domain NAME] [--json]
  segstation split DIR --folds K --seed S [--test-fraction F] [--json]
  segstation stats DIR [--json]                    per-domain intensity statistics
  segstation train DIR --config FILE [--fold K] [--resume RUN] [--backend cpu|webgpu|tensorflow] [--json]
                                                   train a U-Net in a child process; checkpoints and metrics in the project
  segstation evaluate --pred FILE --truth FILE [--probabilities FILE] [--json]   metrics per class (MONAI conventions)
  segstation evaluate DIR --run ID [--csv OUT] [--seed S] [--json]   a run's predictions: per-case CSV, cohort summary
  segstation microstructure FILE [--connectivity 6|18|26] [--json]   phase fractions, interface areas, percolation
  segstation report DIR --run ID --out FILE.html|FILE.pdf [--case ID] [--snapshot PNG]   self-contained report
  segstation predict --model M (--input FILE | --project DIR) [--output OUT] [--overlap 0.5] [--blend gaussian|constant]
                     [--tta flips] [--uncertainty mc:N|ensemble|tta] [--postprocess FILE] [--provider cpu|cuda|webgpu]
                     [--roi X,Y,Z] [--slice-axis x|y|z] [--batch-size N] [--memory-budget MB] [--case ID] [--run-id ID]
                     [--in-memory] [--json]
  segstation serve [--port P] [--project DIR] [--host 127.0.0.1]   web mode: prints the viewer URL with its token

Readable: NIfTI-1/2, NRRD, MetaImage, TIFF (multi-page or folder), HDF5, DICOM (file, series folder, multi-frame, SEG),
OME-Zarr v0.4/v0.5, MINC1, vtk.js image folders. Writable: .nii(.gz), .nrrd, .nhdr, .mha, .mhd, .tif(f), .h5, .ome.zarr.
Bad input exits with code 2 and one line on stderr.`;

type Command = (argv: string[]) => Promise<void>;

// Each command's module is loaded when it runs, so that `segstation info` does not pay for ONNX Runtime, tfjs or
// Chromium's driver.
const COMMANDS: Record<string, () => Promise<Command>> = {
  info: async () => (await import('./commands/info.ts')).infoCommand,
  convert: async () => (await import('./commands/convert.ts')).convertCommand,
  project: async () => (await import('./commands/project.ts')).projectCommand,
  import: async () => (await import('./commands/project.ts')).importCommand,
  split: async () => (await import('./commands/project.ts')).splitCommand,
  stats: async () => (await import('./commands/project.ts')).statsCommand,
  train: async () => (await import('./commands/train.ts')).trainCommand,
  predict: async () => (await import('./commands/predict.ts')).predictCommand,
  evaluate: async () => (await import('./commands/evaluate.ts')).evaluateCommand,
  microstructure: async () => (await import('./commands/microstructure.ts')).microstructureCommand,
  report: async () => (await import('./commands/report.ts')).reportCommand,
  serve: async () => (await import('./commands/serve.ts')).serveCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  const load = COMMANDS[command];
  if (!load) {
    process.stderr.write(`segstation: unknown command '${command}' (try segstation --help)\n`);
    return 2;
  }
  try {
    const run = await load();
    await run(rest);
    return 0;
  } catch (error) {
    if (isInputError(error)) {
      process.stderr.write(`${error.message.split('\n')[0]}\n`);
      return 2;
    }
    process.stderr.write(`segstation ${command}: ${errorMessage(error)}\n`);
    if (process.env.SEGSTATION_DEBUG) console.error(error);
    return 1;
  }
}

