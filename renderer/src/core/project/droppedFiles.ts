/**
 * What a set of files dropped (or picked) at once means: one case, its images and at most one label map. A file is a
 * label when its name says so (label, labels, seg, segmentation, mask, gt as a word of the name); the case id comes
 * from the first image's name as the engine derives it (extensions and an nnU-Net channel suffix removed).
 */

const LABEL_WORD = /(^|[_\-. ])(labels?|seg|segmentation|mask|gt)([_\-. ]|$)/i;
const EXTENSIONS = ['.ome.zarr', '.zarr', '.nii.gz', '.nii', '.nrrd', '.nhdr', '.mha', '.mhd', '.tiff', '.tif', '.h5', '.hdf5', '.mnc', '.dcm', '.vti', '.gz'];

export function stripVolumeExtension(name: string): string {
  let base = name;
  for (let again = true; again; ) {
    again = false;
    for (const ext of EXTENSIONS) {
      if (base.toLowerCase().endsWith(ext) && base.length > ext.length) {
        base = base.slice(0, -ext.length);
        again = true;
      }
    }
  }
  return base;
}

export function looksLikeLabel(name: string): boolean {
  return LABEL_WORD.test(stripVolumeExtension(name));
}

/** The engine's case id for an image file name (main/dataset/importCase.ts caseIdFromPath). */
export function caseIdFromFileName(name: string): string {
  const id = stripVolumeExtension(name)
    .replace(/_\d{4}$/, '')
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/\.+$/, '');
  return (id || 'case').slice(0, 128);
}

export interface CaseFiles<T> {
  images: T[];
  label: T | null;
  caseId: string;
  /** Why the files do not make one case (two label maps, no image), null when they do. */
  problem: string | null;
}

/** Sorts files (anything with a name) into one case's images and label. */
export function caseFromFiles<T extends { name: string }>(files: readonly T[]): CaseFiles<T> {
  const labels = files.filter((f) => looksLikeLabel(f.name));
  const images = files.filter((f) => !looksLikeLabel(f.name));
  let problem: string | null = null;
  if (images.length === 0) problem = files.length === 0 ? 'no files' : `no image among ${files.map((f) => f.name).join(', ')} (every name reads as a label)`;
  else if (labels.length > 1) problem = `${labels.length} label maps (${labels.map((f) => f.name).join(', ')}): drop one case at a time`;
  return { images, label: labels[0] ?? null, caseId: images[0] ? caseIdFromFileName(images[0].name) : '', problem };
}
