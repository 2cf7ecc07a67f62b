/**
 * Enhanced multi-frame objects (Enhanced CT/MR, DICOM SEG, ...): per-frame geometry and rescale come from the
 * Per-frame Functional Groups Sequence, falling back to the Shared Functional Groups Sequence, then to the top level.
 */
import { classicFrames, orientationOf, pixelSpacingOf, positiveNumber, rescaleOf, vec3, type FrameInfo } from './frames.ts';
import { TAG, type DicomDataset, type DicomFile } from './parse.ts';
import { IDENTITY_RESCALE, type PixelFormat } from './pixels.ts';

export function isEnhanced(ds: DicomDataset): boolean {
  return ds.has(TAG.PerFrameFunctionalGroupsSequence) || ds.has(TAG.SharedFunctionalGroupsSequence);
}

export function enhancedFrames(dicom: DicomFile, fmt: PixelFormat, label: string, warnings: string[]): FrameInfo[] {
  const ds = dicom.dataset;
  const shared = ds.item(TAG.SharedFunctionalGroupsSequence);
  const perFrame = ds.sequence(TAG.PerFrameFunctionalGroupsSequence);
  if (perFrame.length !== fmt.frames && perFrame.length > 0) {
    warnings.push(
      `${label}: ${perFrame.length} per-frame functional group items for ${fmt.frames} frame(s) (NumberOfFrames); ` +
        `the first ${Math.min(perFrame.length, fmt.frames)} are used`,
    );
  }
  /** The functional group macro `tag` for frame i: per-frame first, then shared. */
  const group = (i: number, tag: string): DicomDataset | undefined => perFrame[i]?.item(tag) ?? shared?.item(tag);

  const topOrientation = orientationOf(ds);
  const topSpacing = pixelSpacingOf(ds);
  const topRescale = rescaleOf(ds);
  const frames: FrameInfo[] = [];
  for (let i = 0; i < fmt.frames; i++) {
    const measures = group(i, TAG.PixelMeasuresSequence);
    const content = group(i, TAG.FrameContentSequence);
    const segment = group(i, TAG.SegmentIdentificationSequence)?.number(TAG.ReferencedSegmentNumber);
    frames.push({
      dicom,
      fmt,
      index: i,
      label: fmt.frames > 1 ? `${label} frame ${i + 1}` : label,
      position: vec3(group(i, TAG.PlanePositionSequence)?.numbers(TAG.ImagePositionPatient) ?? []),
      orientation: orientationOf(group(i, TAG.PlaneOrientationSequence)) ?? topOrientation,
      pixelSpacing: pixelSpacingOf(measures) ?? topSpacing,
      sliceThickness: positiveNumber(measures, TAG.SliceThickness) ?? positiveNumber(ds, TAG.SliceThickness),
      spacingBetweenSlices: positiveNumber(measures, TAG.SpacingBetweenSlices) ?? positiveNumber(ds, TAG.SpacingBetweenSlices),
      rescale: rescaleOf(group(i, TAG.PixelValueTransformationSequence)) ?? topRescale ?? IDENTITY_RESCALE,
      order: content?.number(TAG.InStackPositionNumber) ?? i,
      segment,
    });
  }
  return frames;
}

/** Frames of any image file: enhanced (functional groups) or classic. */
export function framesOf(dicom: DicomFile, fmt: PixelFormat, label: string, warnings: string[]): FrameInfo[] {
  return isEnhanced(dicom.dataset) ? enhancedFrames(dicom, fmt, label, warnings) : classicFrames(dicom, fmt, label);
}
