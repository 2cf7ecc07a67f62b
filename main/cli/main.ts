import '../io/formats.ts';
import { errorMessage, isInputError } from '../util/errors.ts';
import { convertCommand } from './commands/convert.ts';
import { infoCommand } from './commands/info.ts';
import { importCommand, projectCommand, splitCommand, statsCommand } from './commands/project.ts';

const USAGE = `segstation — 3D segmentation workstation engine

Usage:
  segstation info FILE... [--json] [--label]      format, shape, geometry, value range (label counts for label maps)
  segstation convert IN OUT [--json]               any readable format to any writable one (chosen by OUT's extension)
  segstation project init DIR [--name NAME]        create a project folder with its catalogue
  segstation import DIR --image FILE [--image FILE ...] [--label FILE] [--case ID] [--domain NAME] [--json]
  segstation split DIR --folds K --seed S [--test-fraction F] [--json]
  segstation stats DIR [--json]                    per-domain intensity statistics

Readable: NIfTI-1/2, NRRD, MetaImage, TIFF (multi-page or folder), HDF5, DICOM (file, series folder, multi-frame, SEG),
OME-Zarr v0.4/v0.5, MINC1, vtk.js image folders. Writable: .nii(.gz), .nrrd, .nhdr, .mha, .mhd, .tif(f), .h5, .ome.zarr.
Bad input exits with code 2 and one line on stderr.`;

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  info: infoCommand,
  convert: convertCommand,
  project: projectCommand,
  import: importCommand,
  split: splitCommand,
  stats: statsCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`segstation: unknown command '${command}' (try segstation --help)\n`);
    return 2;
  }
  try {
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

