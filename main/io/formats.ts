// Registers every reader and writer the engine ships. Import this once at an entry point (CLI, server, tests).
// Order matters only for folder sniffing: an OME-Zarr store or a vtk.js image folder is recognised before a
// generic "folder of DICOM files / TIFF slices". MINC2 files are HDF5 inside: the MINC reader (which claims only
// .mnc names) goes before the generic HDF5 reader.
import { dicomReader } from './dicom/index.ts';
import { hdf5Reader, hdf5Writer } from './hdf5.ts';
import { metaImageReader, metaImageWriter } from './metaimage.ts';
import { mincReader } from './minc.ts';
import { niftiReader, niftiWriter } from './nifti.ts';
import { nrrdReader, nrrdWriter } from './nrrd.ts';
import { omeZarrReader, omeZarrWriter } from './omezarr/index.ts';
import { registerReader, registerWriter } from './registry.ts';
import { tiffReader, tiffWriter } from './tiff.ts';
import { vtkJsReader, vtkJsWriter } from './vtkjs.ts';

for (const reader of [omeZarrReader, vtkJsReader, dicomReader, niftiReader, nrrdReader, metaImageReader, tiffReader, mincReader, hdf5Reader]) {
  registerReader(reader);
}
for (const writer of [niftiWriter, nrrdWriter, metaImageWriter, tiffWriter, hdf5Writer, omeZarrWriter, vtkJsWriter]) {
  registerWriter(writer);
}
