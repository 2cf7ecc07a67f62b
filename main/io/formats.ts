// Registers every reader and writer the engine ships. Import this once at an entry point (CLI, server, tests).
// Order matters only for folder sniffing: an OME-Zarr store or a vtk.js image folder is recognised before a
// generic "folder of DICOM files / TIFF slices".
import { dicomReader } from './dicom/index.ts';
import { metaImageReader, metaImageWriter } from './metaimage.ts';
import { mincReader } from './minc.ts';
import { niftiReader, niftiWriter } from './nifti.ts';
import { nrrdReader, nrrdWriter } from './nrrd.ts';
import { omeZarrReader, omeZarrWriter } from './omezarr/index.ts';
import { registerReader, registerWriter } from './registry.ts';
import { tiffReader, tiffWriter } from './tiff.ts';
import { vtkJsReader, vtkJsWriter } from './vtkjs.ts';

for (const reader of [omeZarrReader, vtkJsReader, dicomReader, niftiReader, nrrdReader, metaImageReader, tiffReader, mincReader]) {
  registerReader(reader);
}
for (const writer of [niftiWriter, nrrdWriter, metaImageWriter, tiffWriter, omeZarrWriter, vtkJsWriter]) {
  registerWriter(writer);
}
