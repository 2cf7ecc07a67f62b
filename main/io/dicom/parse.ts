/**
 * The only file that touches dicom-parser: parses a Part 10 file into a `DicomDataset` with typed accessors, checks the
 * transfer syntax, and locates the pixel data. dicom-parser's loose types (and its habit of throwing strings) stay here.
 */
import zlib from 'node:zlib';
import dicomParser from 'dicom-parser';
import { InputError } from '../../util/errors.ts';

/** Tags as dicom-parser spells them ('x' + group + element, lower-case hex). */
export const TAG = {
  TransferSyntaxUID: 'x00020010',
  ImageType: 'x00080008',
  SOPClassUID: 'x00080016',
  SOPInstanceUID: 'x00080018',
  Modality: 'x00080060',
  SeriesDescription: 'x0008103e',
  SliceThickness: 'x00180050',
  SpacingBetweenSlices: 'x00180088',
  StudyInstanceUID: 'x0020000d',
  SeriesInstanceUID: 'x0020000e',
  SeriesNumber: 'x00200011',
  AcquisitionNumber: 'x00200012',
  InstanceNumber: 'x00200013',
  ImagePositionPatient: 'x00200032',
  ImageOrientationPatient: 'x00200037',
  FrameOfReferenceUID: 'x00200052',
  FrameContentSequence: 'x00209111',
  InStackPositionNumber: 'x00209057',
  PlanePositionSequence: 'x00209113',
  PlaneOrientationSequence: 'x00209116',
  SamplesPerPixel: 'x00280002',
  PhotometricInterpretation: 'x00280004',
  PlanarConfiguration: 'x00280006',
  NumberOfFrames: 'x00280008',
  Rows: 'x00280010',
  Columns: 'x00280011',
  PixelSpacing: 'x00280030',
  BitsAllocated: 'x00280100',
  BitsStored: 'x00280101',
  HighBit: 'x00280102',
  PixelRepresentation: 'x00280103',
  RescaleIntercept: 'x00281052',
  RescaleSlope: 'x00281053',
  PixelMeasuresSequence: 'x00289110',
  PixelValueTransformationSequence: 'x00289145',
  SegmentationType: 'x00620001',
  SegmentSequence: 'x00620002',
  SegmentNumber: 'x00620004',
  SegmentLabel: 'x00620005',
  SegmentIdentificationSequence: 'x0062000a',
  ReferencedSegmentNumber: 'x0062000b',
  RecommendedDisplayCIELabValue: 'x0062000d',
  MaximumFractionalValue: 'x0062000e',
  SegmentationFractionalType: 'x00620010',
  SharedFunctionalGroupsSequence: 'x52009229',
  PerFrameFunctionalGroupsSequence: 'x52009230',
  FloatPixelData: 'x7fe00008',
  DoubleFloatPixelData: 'x7fe00009',
  PixelData: 'x7fe00010',
} as const;

export type TagName = keyof typeof TAG;

/**
 * Value representations of the tags we read, so that numbers read right in implicit VR files (where the file does not
 * say) and in explicit files that wrongly say 'UN'.
 */
const VR: Record<string, string> = {
  [TAG.SliceThickness]: 'DS',
  [TAG.SpacingBetweenSlices]: 'DS',
  [TAG.SeriesNumber]: 'IS',
  [TAG.AcquisitionNumber]: 'IS',
  [TAG.InstanceNumber]: 'IS',
  [TAG.ImagePositionPatient]: 'DS',
  [TAG.InStackPositionNumber]: 'UL',
  [TAG.ImageOrientationPatient]: 'DS',
  [TAG.SamplesPerPixel]: 'US',
  [TAG.PlanarConfiguration]: 'US',
  [TAG.NumberOfFrames]: 'IS',
  [TAG.Rows]: 'US',
  [TAG.Columns]: 'US',
  [TAG.PixelSpacing]: 'DS',
  [TAG.BitsAllocated]: 'US',
  [TAG.BitsStored]: 'US',
  [TAG.HighBit]: 'US',
  [TAG.PixelRepresentation]: 'US',
  [TAG.RescaleIntercept]: 'DS',
  [TAG.RescaleSlope]: 'DS',
  [TAG.SegmentNumber]: 'US',
  [TAG.ReferencedSegmentNumber]: 'US',
  [TAG.RecommendedDisplayCIELabValue]: 'US',
  [TAG.MaximumFractionalValue]: 'US',
};

const BINARY_SIZE: Record<string, number> = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8 };

export const TRANSFER_SYNTAX = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
  RLELossless: '1.2.840.10008.1.2.5',
} as const;

/** Transfer syntaxes whose pixel data is stored uncompressed, or RLE which we decode ourselves. */
const NATIVE_SYNTAXES: Record<string, string> = {
  [TRANSFER_SYNTAX.ImplicitVRLittleEndian]: 'Implicit VR Little Endian',
  [TRANSFER_SYNTAX.ExplicitVRLittleEndian]: 'Explicit VR Little Endian',
  [TRANSFER_SYNTAX.DeflatedExplicitVRLittleEndian]: 'Deflated Explicit VR Little Endian',
  [TRANSFER_SYNTAX.ExplicitVRBigEndian]: 'Explicit VR Big Endian',
  [TRANSFER_SYNTAX.RLELossless]: 'RLE Lossless',
};

/** Compressed transfer syntaxes we recognise (to name them in the error), with their family. */
const COMPRESSED_SYNTAXES: Record<string, [family: string, name: string]> = {
  '1.2.840.10008.1.2.4.50': ['JPEG', 'JPEG Baseline (Process 1)'],
  '1.2.840.10008.1.2.4.51': ['JPEG', 'JPEG Extended (Process 2 & 4)'],
  '1.2.840.10008.1.2.4.57': ['JPEG', 'JPEG Lossless, Non-Hierarchical (Process 14)'],
  '1.2.840.10008.1.2.4.70': ['JPEG', 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])'],
  '1.2.840.10008.1.2.4.80': ['JPEG-LS', 'JPEG-LS Lossless Image Compression'],
  '1.2.840.10008.1.2.4.81': ['JPEG-LS', 'JPEG-LS Lossy (Near-Lossless) Image Compression'],
  '1.2.840.10008.1.2.4.90': ['JPEG 2000', 'JPEG 2000 Image Compression (Lossless Only)'],
  '1.2.840.10008.1.2.4.91': ['JPEG 2000', 'JPEG 2000 Image Compression'],
  '1.2.840.10008.1.2.4.92': ['JPEG 2000', 'JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)'],
  '1.2.840.10008.1.2.4.93': ['JPEG 2000', 'JPEG 2000 Part 2 Multi-component Image Compression'],
  '1.2.840.10008.1.2.4.94': ['JPIP', 'JPIP Referenced'],
  '1.2.840.10008.1.2.4.95': ['JPIP', 'JPIP Referenced Deflate'],
  '1.2.840.10008.1.2.4.100': ['MPEG-2', 'MPEG2 Main Profile / Main Level'],
  '1.2.840.10008.1.2.4.101': ['MPEG-2', 'MPEG2 Main Profile / High Level'],
  '1.2.840.10008.1.2.4.102': ['MPEG-4', 'MPEG-4 AVC/H.264 High Profile / Level 4.1'],
  '1.2.840.10008.1.2.4.103': ['MPEG-4', 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1'],
  '1.2.840.10008.1.2.4.104': ['MPEG-4', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video'],
  '1.2.840.10008.1.2.4.105': ['MPEG-4', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video'],
  '1.2.840.10008.1.2.4.106': ['MPEG-4', 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2'],
  '1.2.840.10008.1.2.4.107': ['HEVC', 'HEVC/H.265 Main Profile / Level 5.1'],
  '1.2.840.10008.1.2.4.108': ['HEVC', 'HEVC/H.265 Main 10 Profile / Level 5.1'],
  '1.2.840.10008.1.2.4.201': ['High-Throughput JPEG 2000', 'High-Throughput JPEG 2000 Image Compression (Lossless Only)'],
  '1.2.840.10008.1.2.4.202': ['High-Throughput JPEG 2000', 'High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)'],
  '1.2.840.10008.1.2.4.203': ['High-Throughput JPEG 2000', 'High-Throughput JPEG 2000 Image Compression'],
};

export function transferSyntaxName(uid: string): string {
  return NATIVE_SYNTAXES[uid] ?? COMPRESSED_SYNTAXES[uid]?.[1] ?? 'unknown transfer syntax';
}

/** Throws the InputError for a transfer syntax whose pixel data we cannot decode. */
export function checkTransferSyntax(file: string, uid: string): void {
  if (uid in NATIVE_SYNTAXES) return;
  const known = COMPRESSED_SYNTAXES[uid];
  if (known) {
    throw new InputError(
      file,
      `${known[0]} compressed pixel data is not supported (transfer syntax ${uid}, ${known[1]}); ` +
        'convert the file to uncompressed DICOM first (e.g. gdcmconv --raw or dcmdjpeg)',
    );
  }
  throw new InputError(file, `unsupported transfer syntax ${uid || '(none)'}: pixel data encoding unknown`);
}

/** Where a pixel data element lies in the file's bytes. */
export interface PixelElement {
  tag: string;
  /** 'OB', 'OW', 'OF', 'OD' or undefined in implicit VR files. */
  vr: string | undefined;
  /** Native (not encapsulated) pixel data: its bytes. */
  bytes?: Uint8Array;
  /** Encapsulated pixel data: one byte array per fragment, in order, plus the basic offset table. */
  fragments?: Uint8Array[];
  basicOffsetTable?: number[];
}

/** A parsed data set (the top level or a sequence item) with typed accessors. */
export class DicomDataset {
  readonly #ds: dicomParser.DataSet;

  constructor(ds: dicomParser.DataSet) {
    this.#ds = ds;
  }

  has(tag: string): boolean {
    const el = this.#ds.elements[tag];
    return el !== undefined && el.length > 0;
  }

  /** A string value, trimmed, or undefined when absent or empty. For multi-valued strings: the value at `index`. */
  string(tag: string, index?: number): string | undefined {
    const el = this.#ds.elements[tag];
    if (!el || el.length === 0) return undefined;
    const s = index === undefined ? this.#ds.string(tag) : this.#ds.string(tag, index);
    if (s === undefined) return undefined;
    const trimmed = s.replace(/\0+$/, '').trim();
    return trimmed === '' ? undefined : trimmed;
  }

  /** All values of a multi-valued string, trimmed. */
  strings(tag: string): string[] {
    const el = this.#ds.elements[tag];
    if (!el || el.length === 0) return [];
    const s = this.#ds.string(tag);
    if (s === undefined) return [];
    // string(tag) without index returns the whole value including backslashes
    return s.replace(/\0+$/, '').split('\\').map((v) => v.trim());
  }

  /** All numeric values of an element, read according to its VR (from our dictionary first, then the file). */
  numbers(tag: string): number[] {
    const el = this.#ds.elements[tag];
    if (!el || el.length === 0) return [];
    const vr = VR[tag] ?? el.vr;
    if (vr === undefined) return [];
    if (vr === 'DS' || vr === 'IS') {
      return this.strings(tag)
        .filter((v) => v !== '')
        .map((v) => Number(v));
    }
    const size = BINARY_SIZE[vr];
    if (size === undefined) return [];
    const n = Math.floor(el.length / size);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      let v: number | undefined;
      switch (vr) {
        case 'US': v = this.#ds.uint16(tag, i); break;
        case 'SS': v = this.#ds.int16(tag, i); break;
        case 'UL': v = this.#ds.uint32(tag, i); break;
        case 'SL': v = this.#ds.int32(tag, i); break;
        case 'FL': v = this.#ds.float(tag, i); break;
        case 'FD': v = this.#ds.double(tag, i); break;
      }
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  /** The first numeric value, or undefined (also when it is not a finite number). */
  number(tag: string): number | undefined {
    const v = this.numbers(tag)[0];
    return v !== undefined && Number.isFinite(v) ? v : undefined;
  }

  /** Items of a sequence (empty when absent). */
  sequence(tag: string): DicomDataset[] {
    const el = this.#ds.elements[tag];
    if (!el?.items) return [];
    return el.items.flatMap((item) => (item.dataSet ? [new DicomDataset(item.dataSet)] : []));
  }

  /** The first item of a sequence, or undefined. */
  item(tag: string): DicomDataset | undefined {
    return this.sequence(tag)[0];
  }

  /** The pixel data element (PixelData, FloatPixelData or DoubleFloatPixelData), or undefined when there is none. */
  pixelElement(file: string): PixelElement | undefined {
    for (const tag of [TAG.PixelData, TAG.FloatPixelData, TAG.DoubleFloatPixelData]) {
      const el = this.#ds.elements[tag];
      if (!el) continue;
      const byteArray = this.#ds.byteArray;
      const all = new Uint8Array(byteArray.buffer, byteArray.byteOffset, byteArray.byteLength);
      if (el.encapsulatedPixelData) {
        const fragments = (el.fragments ?? []).map((f) => {
          if (f.position + f.length > all.length) {
            throw new InputError(file, 'file is truncated: a pixel data fragment runs past the end of the file');
          }
          return all.subarray(f.position, f.position + f.length);
        });
        return { tag, vr: el.vr, fragments, basicOffsetTable: el.basicOffsetTable ?? [] };
      }
      if (el.length === 0) return undefined;
      if (el.dataOffset + el.length > all.length) {
        throw new InputError(
          file,
          `file is truncated: pixel data needs ${el.length} bytes, only ${Math.max(0, all.length - el.dataOffset)} are there`,
        );
      }
      return { tag, vr: el.vr, bytes: all.subarray(el.dataOffset, el.dataOffset + el.length) };
    }
    return undefined;
  }
}

export interface DicomFile {
  /** The path, used in error messages. */
  file: string;
  transferSyntaxUID: string;
  littleEndian: boolean;
  dataset: DicomDataset;
}

/** 'DICM' at byte 128: the Part 10 preamble. */
export function hasDicmPrefix(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

function messageOf(error: unknown): string {
  // parseDicom wraps what it caught as { exception, dataSet }; the inner parsers throw strings
  if (error !== null && typeof error === 'object' && 'exception' in error) return messageOf(error.exception);
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/^(dicomParser|littleEndianByteArrayParser|bigEndianByteArrayParser|ByteStream)[.:][A-Za-z0-9]+: ?/, '');
}

/**
 * Parses a DICOM file's bytes. Files without the Part 10 preamble are accepted when they start like a bare implicit VR
 * little endian data set (group 0008), as some old exporters write them. Throws InputError naming `file`.
 * `headerOnly` stops before the pixel data: the PixelData element is recorded (tag, length) but not read.
 */
export function parseDicomBytes(file: string, bytes: Uint8Array, options: { headerOnly?: boolean } = {}): DicomFile {
  if (bytes.length === 0) throw new InputError(file, 'file is empty');
  const part10 = hasDicmPrefix(bytes);
  const bare = !part10 && bytes.length >= 8 && bytes[0] === 0x08 && bytes[1] === 0x00 && bytes[3] === 0x00;
  if (!part10 && !bare) throw new InputError(file, "not a DICOM file: no 'DICM' marker at byte 128");
  let ds: dicomParser.DataSet;
  try {
    const parseOptions: dicomParser.ParseDicomOptions = {};
    if (!part10) parseOptions.TransferSyntaxUID = TRANSFER_SYNTAX.ImplicitVRLittleEndian;
    if (options.headerOnly) parseOptions.untilTag = TAG.PixelData;
    // Deflated syntax: dicom-parser's own Node path needs a Buffer; give it the whole file with the data set inflated.
    parseOptions.inflater = (array: Uint8Array, position: number): Uint8Array => {
      const inflated = zlib.inflateRawSync(array.subarray(position));
      const full = new Uint8Array(position + inflated.length);
      full.set(array.subarray(0, position));
      full.set(inflated, position);
      return full;
    };
    ds = dicomParser.parseDicom(bytes, parseOptions);
  } catch (error) {
    // dicom-parser throws strings; on a truncated file it says so in terms of buffer overreads
    const msg = messageOf(error);
    const truncated = /overr(ead|un)|beyond|eof|end of (the )?(buffer|stream)|past the end/i.test(msg);
    throw new InputError(file, truncated ? `file is truncated (${msg})` : `cannot parse DICOM: ${msg}`, { cause: error });
  }
  const dataset = new DicomDataset(ds);
  const transferSyntaxUID = dataset.string(TAG.TransferSyntaxUID) ?? TRANSFER_SYNTAX.ImplicitVRLittleEndian;
  return {
    file,
    transferSyntaxUID,
    littleEndian: transferSyntaxUID !== TRANSFER_SYNTAX.ExplicitVRBigEndian,
    dataset,
  };
}
