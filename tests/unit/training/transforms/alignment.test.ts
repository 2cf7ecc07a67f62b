// Acceptance: image and label stay aligned through every spatial transform and through the full random pipeline.
// The phantom's label is a threshold of its smooth image, so after a transform the label must still equal the
// threshold of the transformed image everywhere except in a thin band around the label boundaries (where trilinear
// image values and nearest-neighbour labels may legitimately round differently).
import { describe, expect, it } from 'vitest';
import {
  affine,
  Augmentation,
  createAugmentation,
  elasticDeform,
  flip,
  rot90,
  type Axis,
  type Border,
  type Plane,
  type Sample,
  type Shape3,
} from '../../../../main/training/transforms/index.ts';
import { mulberry32 } from '../../../../main/util/random.ts';
import { alignment, phantomWithCoverage } from './helpers.ts';

const LABEL_VALUES = new Set([0, 2, 5]);
/** Disagreements allowed only within this many voxels of a boundary... */
const MARGIN = 1;
/**
 * ...and fewer than this many per voxel of the boundary layer. Nearest-neighbour labels against a thresholded
 * trilinear image disagree on up to ~0.3 of the layer (half a voxel of rounding, more where the patch is magnified);
 * a label off by one voxel along one axis disagrees on 0.4-0.6 of it (tested below), two voxels trip `far`.
 */
const MAX_PER_BOUNDARY_VOXEL = 0.36;

function expectAligned(out: Sample, what: string): void {
  const { far, near, boundary } = alignment(out, MARGIN, out.channels - 1);
  expect(far, `${what}: disagreements away from boundaries`).toBe(0);
  expect(near / boundary, `${what}: disagreements per boundary voxel`).toBeLessThan(MAX_PER_BOUNDARY_VOXEL);
  for (const v of new Set(out.label)) expect(LABEL_VALUES.has(v), `${what}: label value ${v}`).toBe(true);
}

const shapes: [string, Shape3][] = [
  ['3D', [36, 36, 36]],
  ['2D', [96, 96, 1]],
];

describe.each(shapes)('%s phantom', (_, shape) => {
  const flat = shape[2] === 1;
  const s = phantomWithCoverage(shape, 2);

  it('starts aligned, and the check catches labels shifted by one and by two voxels', () => {
    expectAligned(s, 'input');
    const shifted = (d: number) => {
      const label = new Uint8Array(s.label.length);
      for (let i = 0; i < s.label.length; i++) label[i] = i % shape[0] >= d ? s.label[i - d] : 0;
      return alignment({ ...s, label }, MARGIN, s.channels - 1);
    };
    const one = shifted(1);
    expect(one.near / one.boundary).toBeGreaterThan(MAX_PER_BOUNDARY_VOXEL);
    expect(shifted(2).far).toBeGreaterThan(0);
  });

  it.each<Axis>(['x', 'y', 'z'])('flip along %s', (axis) => expectAligned(flip(s, [axis]), `flip ${axis}`));

  it.each<[Plane, number]>([
    ['xy', 1],
    ['xy', 2],
    ['xy', 3],
    ['xz', 1],
    ['yz', 3],
  ])('rot90 in %s by %i', (plane, k) => {
    if (flat && plane !== 'xy') return;
    expectAligned(rot90(s, plane, k), `rot90 ${plane} ${k}`);
  });

  it.each<[[number, number, number], [number, number, number], Border['mode']]>([
    [[0, 0, 37], [1, 1, 1], 'constant'],
    [[25, -15, 10], [1, 1, 1], 'edge'],
    [[-30, 20, 160], [1.4, 1.4, 1.4], 'constant'],
    [[10, 10, -75], [0.7, 0.7, 0.7], 'constant'],
    [[5, -28, 12], [1.3, 0.75, 1.1], 'edge'],
  ])('affine rotation %j scale %j (%s border)', (rotationDeg, scale, mode) => {
    expectAligned(affine(s, { rotationDeg, scale }, { mode, imageFill: 0, labelFill: 0 }), `affine ${rotationDeg}`);
  });

  it.each([1, 2, 3, 4])('elastic deformation, seed %i', (seed) => {
    expectAligned(elasticDeform(s, { alpha: 3, sigma: 8 }, mulberry32(seed)), `elastic ${seed}`);
  });

  it('the full random pipeline over 30 seeds: labels equal the spatial-only result, which stays aligned', () => {
    const everything = new Augmentation({
      elastic: { p: 0.5 },
      affine: { pRotation: 0.8, pScale: 0.8, anisotropicScale: true },
      rot90: { p: 0.5, planes: ['xy', 'xz', 'yz'] },
      flip: { p: 0.5 },
      biasField: { p: 0.5 },
      ghosting: { p: 0.5 },
      blur: { p: 0.5 },
      scale: { p: 0.5 },
      shift: { p: 0.5 },
      contrast: { p: 0.5 },
      gamma: { p: 0.5, pInverted: 0.5 },
      gaussianNoise: { p: 0.5 },
      ricianNoise: { p: 0.5 },
    });
    let spatialDraws = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const plan = everything.draw(s.shape, s.channels, mulberry32(seed));
      const full = everything.applyPlan(s, plan);
      const spatialOnly = everything.applyPlan(s, { ...plan, intensity: [] });
      if (plan.spatial.elastic || plan.spatial.rotationDeg || plan.spatial.scale || plan.spatial.rot90 || plan.spatial.flip.length) spatialDraws++;
      expect(full.shape).toEqual(shape);
      expect(Array.from(full.label)).toEqual(Array.from(spatialOnly.label));
      expect(full.image.every(Number.isFinite)).toBe(true);
      expectAligned(spatialOnly, `seed ${seed} ${JSON.stringify(plan.spatial)}`);
    }
    expect(spatialDraws).toBeGreaterThan(25);
  });

  it('the default pipeline keeps shapes and label values over 30 seeds', () => {
    const augment = createAugmentation();
    for (let seed = 1; seed <= 30; seed++) {
      const out = augment(s, mulberry32(seed));
      expect(out.shape).toEqual(shape);
      for (const v of new Set(out.label)) expect(LABEL_VALUES.has(v)).toBe(true);
    }
  });
});
