import { describe, expect, it } from 'vitest';
import { cameraForView, sliceCamera, towardsViewer, viewAxes } from '../../../renderer/src/core/orientation.ts';

const IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1];
const LSA = [1, 0, 0, 0, 0, -1, 0, 1, 0];
const c = Math.cos(Math.PI / 6);
const s = Math.sin(Math.PI / 6);
const HEADSQ = [c, -s, 0, s, c, 0, 0, 0, 1];
const r = Math.SQRT1_2;
/** 45 degrees about z: x and y tie for the sagittal and coronal views; they must still get distinct axes. */
const OBLIQUE45 = [r, -r, 0, r, r, 0, 0, 0, 1];

describe('viewAxes', () => {
  it.each([
    ['identity', IDENTITY, { axial: 2, coronal: 1, sagittal: 0 }],
    ['LSA (KmeansTest)', LSA, { axial: 1, coronal: 2, sagittal: 0 }],
    ['headsq (30 degrees about z)', HEADSQ, { axial: 2, coronal: 1, sagittal: 0 }],
    ['coronal acquisition (x, z, -y)', [1, 0, 0, 0, 0, 1, 0, -1, 0], { axial: 1, coronal: 2, sagittal: 0 }],
  ])('%s', (_name, direction, expected) => {
    expect(viewAxes(direction)).toEqual(expected);
  });

  it('gives three distinct axes for a 45 degree oblique volume', () => {
    const axes = viewAxes(OBLIQUE45);
    expect(new Set(Object.values(axes)).size).toBe(3);
    expect(axes.axial).toBe(2);
  });
});

describe('cameras', () => {
  it('uses the radiological convention', () => {
    expect(cameraForView('axial')).toEqual({ directionOfProjection: [0, 0, 1], viewUp: [0, -1, 0] });
    expect(cameraForView('coronal')).toEqual({ directionOfProjection: [0, 1, 0], viewUp: [0, 0, 1] });
    expect(cameraForView('sagittal')).toEqual({ directionOfProjection: [-1, 0, 0], viewUp: [0, 0, 1] });
  });

  it('looks straight along the shown index axis of a rotated volume, on the radiological side', () => {
    const cam = sliceCamera(HEADSQ, 'coronal');
    [-s, c, 0].forEach((v, i) => expect(cam.directionOfProjection[i]).toBeCloseTo(v, 12));
    [0, 0, 1].forEach((v, i) => expect(cam.viewUp[i]).toBeCloseTo(v, 12));
    const sag = sliceCamera(HEADSQ, 'sagittal');
    [-c, -s, 0].forEach((v, i) => expect(sag.directionOfProjection[i]).toBeCloseTo(v, 12));
  });

  it('equals the radiological camera for an axis-aligned volume', () => {
    for (const view of ['axial', 'coronal', 'sagittal'] as const) {
      const cam = sliceCamera(LSA, view);
      const ideal = cameraForView(view);
      cam.directionOfProjection.forEach((v, i) => expect(v).toBeCloseTo(ideal.directionOfProjection[i], 12));
      cam.viewUp.forEach((v, i) => expect(v).toBeCloseTo(ideal.viewUp[i], 12));
    }
  });

  it.each([
    ['axial, identity: +z index goes away from a camera below the feet', IDENTITY, 'axial', 2, -1],
    ['coronal, identity: +y (posterior) goes away from a camera in front', IDENTITY, 'coronal', 1, -1],
    ['coronal, LSA: +z index is anterior, towards the camera', LSA, 'coronal', 2, 1],
    ['sagittal, identity: +x (left) is towards a camera on the left', IDENTITY, 'sagittal', 0, 1],
  ] as const)('towardsViewer %s', (_name, direction, view, axis, expected) => {
    expect(towardsViewer(direction, view, axis)).toBe(expected);
  });
});
