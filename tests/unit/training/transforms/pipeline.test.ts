import { describe, expect, it } from 'vitest';
import {
  Augmentation,
  AugmentationConfigSchema,
  createAugmentation,
  defaultAugmentationConfig,
  parseAugmentationConfig,
  type AugmentationPlan,
} from '../../../../main/training/transforms/index.ts';
import { mulberry32 } from '../../../../main/util/random.ts';
import { InputError } from '../../../../main/util/errors.ts';
import { maxDiff, phantom } from './helpers.ts';

const EVERYTHING = {
  elastic: { p: 1 },
  affine: { pRotation: 1, pScale: 1 },
  rot90: { p: 1, planes: ['xy', 'xz', 'yz'] as ('xy' | 'xz' | 'yz')[] },
  biasField: { p: 1 },
  ghosting: { p: 1 },
  blur: { p: 1, pPerChannel: 1 },
  scale: { p: 1 },
  shift: { p: 1 },
  contrast: { p: 1 },
  gamma: { p: 1, pInverted: 1 },
  gaussianNoise: { p: 1 },
  ricianNoise: { p: 1 },
};

describe('configuration', () => {
  it('defaults follow nnU-Net', () => {
    const d = defaultAugmentationConfig();
    expect(d.flip).toEqual({ p: 0.5, axes: ['x', 'y', 'z'] });
    expect(d.affine.pRotation).toBe(0.2);
    expect(d.affine.rotationDeg.x).toEqual([-30, 30]);
    expect(d.affine.rotationDeg2d).toEqual([-180, 180]);
    expect(d.affine.scale).toEqual([0.7, 1.4]);
    expect(d.gaussianNoise).toEqual({ p: 0.1, std: [0, 0.1] });
    expect(d.blur).toMatchObject({ p: 0.2, pPerChannel: 0.5, sigma: [0.5, 1] });
    expect(d.gamma).toMatchObject({ p: 0.3, pInverted: 0.1, range: [0.7, 1.5], retainStats: true });
    expect(d.elastic.p).toBe(0);
    expect(AugmentationConfigSchema.parse({ flip: { p: 0.3 } }).flip.axes).toEqual(['x', 'y', 'z']);
  });

  it.each<[unknown, RegExp]>([
    [{ flip: { p: 1.5 } }, /^augmentation\.flip\.p: a probability must be <= 1/],
    [{ affine: { scale: [1.4, 0.7] } }, /^augmentation\.affine\.scale: the lower bound must not exceed the upper bound/],
    [{ blur: { sgima: [1, 2] } }, /^augmentation\.blur: Unrecognized key: "sgima" \(known: p, pPerChannel, sigma, independentAxes\)/],
    [{ elastic: { alpha: 'large' } }, /^augmentation\.elastic\.alpha: /],
    [{ ghosting: { count: [1.5, 3] } }, /^augmentation\.ghosting\.count: must be integers/],
    [{ border: { mode: 'wrap' } }, /^augmentation\.border\.mode: /],
    [{ rot90: { planes: [] } }, /^augmentation\.rot90\.planes: /],
  ])('rejects %j with a message naming the field', (config, message) => {
    expect(() => parseAugmentationConfig(config)).toThrow(InputError);
    expect(() => new Augmentation(config as never)).toThrow(message);
  });
});

describe('the pipeline', () => {
  const s = phantom([20, 20, 12], 2);

  it('the same seed gives the same output, different seeds different outputs', () => {
    const augment = createAugmentation(EVERYTHING);
    const a = augment(s, mulberry32(42));
    const b = augment(s, mulberry32(42));
    const c = augment(s, mulberry32(43));
    expect(Array.from(a.image)).toEqual(Array.from(b.image));
    expect(Array.from(a.label)).toEqual(Array.from(b.label));
    expect(maxDiff(a.image, c.image)).toBeGreaterThan(0.01);
  });

  it('a plan survives JSON and replays to the same output; the input is never modified', () => {
    const aug = new Augmentation(EVERYTHING);
    const before = Array.from(s.image);
    const plan = aug.draw(s.shape, s.channels, mulberry32(5));
    const replayed = aug.applyPlan(s, JSON.parse(JSON.stringify(plan)) as AugmentationPlan);
    expect(Array.from(replayed.image)).toEqual(Array.from(aug.apply(s, mulberry32(5)).image));
    expect(plan.intensity.map((step) => step.kind)).toEqual([
      'biasField', 'ghosting', 'blur', 'scale', 'shift', 'contrast', 'gamma', 'gamma', 'gaussianNoise', 'ricianNoise',
    ]);
    expect(Array.from(s.image)).toEqual(before);
  });

  it('all probabilities 0 give the identity (as fresh arrays)', () => {
    const off = new Augmentation({
      flip: { p: 0 }, affine: { pRotation: 0, pScale: 0 }, blur: { p: 0 }, scale: { p: 0 }, contrast: { p: 0 },
      gamma: { p: 0, pInverted: 0 }, gaussianNoise: { p: 0 },
    });
    const out = off.apply(s, mulberry32(1));
    expect(Array.from(out.image)).toEqual(Array.from(s.image));
    expect(out.image).not.toBe(s.image);
    expect(out.label).not.toBe(s.label);
  });

  it('draws each transform with its probability', () => {
    const aug = new Augmentation({ flip: { p: 0.5 }, affine: { pRotation: 0.2, pScale: 0 }, gaussianNoise: { p: 0.1 } });
    const rng = mulberry32(7);
    const n = 4000;
    let flipsX = 0;
    let rotations = 0;
    let noise = 0;
    for (let i = 0; i < n; i++) {
      const plan = aug.draw([16, 16, 16], 1, rng);
      if (plan.spatial.flip.includes('x')) flipsX++;
      if (plan.spatial.rotationDeg) {
        rotations++;
        for (const d of plan.spatial.rotationDeg) expect(Math.abs(d)).toBeLessThanOrEqual(30);
      }
      if (plan.intensity.some((step) => step.kind === 'gaussianNoise')) noise++;
      expect(plan.spatial.scale).toBeNull();
    }
    // Binomial: 4 standard deviations.
    expect(Math.abs(flipsX / n - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / n));
    expect(Math.abs(rotations / n - 0.2)).toBeLessThan(4 * Math.sqrt(0.16 / n));
    expect(Math.abs(noise / n - 0.1)).toBeLessThan(4 * Math.sqrt(0.09 / n));
  });

  it('a 2D sample: no flips along z, rot90 only in xy, rotation only in plane, no z displacement', () => {
    const flat = phantom([24, 24, 1], 3);
    const aug = new Augmentation(EVERYTHING);
    const rng = mulberry32(3);
    for (let i = 0; i < 50; i++) {
      const plan = aug.draw(flat.shape, flat.channels, rng);
      expect(plan.spatial.flip).not.toContain('z');
      expect(plan.spatial.rot90?.plane).toBe('xy');
      expect(plan.spatial.rotationDeg?.slice(0, 2)).toEqual([0, 0]);
      expect(plan.spatial.scale?.[2]).toBe(1);
      const blur = plan.intensity.find((step) => step.kind === 'blur');
      if (blur?.kind === 'blur') for (const sigma of blur.sigma) expect(sigma?.[2] ?? 0).toBe(0);
    }
    const out = aug.apply(flat, mulberry32(9));
    expect(out.shape).toEqual([24, 24, 1]);
    expect(out.image.every(Number.isFinite)).toBe(true);
  });

  it('rot90 keeps the shape unless allowed to change it', () => {
    const box = phantom([12, 8, 8]);
    const keep = new Augmentation({ rot90: { p: 1, planes: ['xy', 'xz', 'yz'] } });
    for (let i = 0; i < 30; i++) {
      const plan = keep.draw(box.shape, 1, mulberry32(i));
      expect(plan.spatial.rot90?.plane).toBe('yz');
    }
    const change = new Augmentation({ rot90: { p: 1, planes: ['xy'], allowShapeChange: true }, flip: { p: 0 } });
    const out = change.applyPlan(box, { spatial: { elastic: null, rotationDeg: null, scale: null, rot90: { plane: 'xy', k: 1 }, flip: [] }, intensity: [] });
    expect(out.shape).toEqual([8, 12, 8]);
    expect(change.draw(box.shape, 1, mulberry32(1)).spatial.rot90?.plane).toBe('xy');
  });

  it('synchronizeChannels draws one intensity parameter for all channels', () => {
    const sync = new Augmentation({ ...EVERYTHING, synchronizeChannels: true });
    const plan = sync.draw(s.shape, 2, mulberry32(1));
    for (const step of plan.intensity) {
      if (step.kind === 'scale') expect(step.factors[0]).toBe(step.factors[1]);
      if (step.kind === 'gamma') expect(step.gammas[0]).toBe(step.gammas[1]);
      if (step.kind === 'gaussianNoise') expect(step.std[0]).toBe(step.std[1]);
    }
    const free = new Augmentation(EVERYTHING).draw(s.shape, 2, mulberry32(1));
    const scale = free.intensity.find((step) => step.kind === 'scale');
    expect(scale?.kind === 'scale' && scale.factors[0] !== scale.factors[1]).toBe(true);
  });

  it('rejects a malformed sample', () => {
    expect(() => createAugmentation()({ ...s, channels: 3 }, mulberry32(1))).toThrow(/sample.image/);
  });
});
