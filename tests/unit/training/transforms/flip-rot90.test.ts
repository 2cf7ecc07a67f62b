import { describe, expect, it } from 'vitest';
import { flip, rot90, type Axis, type Plane, type Sample, type Shape3 } from '../../../../main/training/transforms/index.ts';
import { InputError } from '../../../../main/util/errors.ts';

/** 3x2x2 sample: image channel 0 = label = x + 3y + 6z (0..11), channel 1 = 100 + that, spacing [1, 2, 3]. */
function small(): Sample {
  const image = new Float32Array(24);
  const label = new Uint8Array(12);
  for (let i = 0; i < 12; i++) {
    image[2 * i] = i;
    image[2 * i + 1] = 100 + i;
    label[i] = i;
  }
  return { image, label, shape: [3, 2, 2], channels: 2, spacing: [1, 2, 3] };
}

function channel0(s: Sample): number[] {
  return Array.from({ length: s.label.length }, (_, i) => s.image[i * s.channels]);
}

function expectConsistent(out: Sample, values: number[], shape: Shape3): void {
  expect(out.shape).toEqual(shape);
  expect(channel0(out)).toEqual(values);
  expect(Array.from(out.label)).toEqual(values);
  expect(Array.from({ length: values.length }, (_, i) => out.image[2 * i + 1])).toEqual(values.map((v) => 100 + v));
}

describe('flip', () => {
  it.each<[Axis[], number[]]>([
    [['x'], [2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9]],
    [['y'], [3, 4, 5, 0, 1, 2, 9, 10, 11, 6, 7, 8]],
    [['z'], [6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5]],
    [['x', 'y', 'z'], [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]],
    [[], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]],
  ])('along %j moves image channels and label together', (axes, expected) => {
    const out = flip(small(), axes);
    expectConsistent(out, expected, [3, 2, 2]);
    expect(out.spacing).toEqual([1, 2, 3]);
  });

  it('is its own inverse and leaves its input alone', () => {
    const s = small();
    const twice = flip(flip(s, ['x', 'z']), ['z', 'x']);
    expect(Array.from(twice.image)).toEqual(Array.from(small().image));
    expect(Array.from(s.label)).toEqual(Array.from(small().label));
  });
});

describe('rot90', () => {
  it.each<[Plane, number, Shape3, number[], [number, number, number]]>([
    ['xy', 1, [2, 3, 2], [3, 0, 4, 1, 5, 2, 9, 6, 10, 7, 11, 8], [2, 1, 3]],
    ['xy', 2, [3, 2, 2], [5, 4, 3, 2, 1, 0, 11, 10, 9, 8, 7, 6], [1, 2, 3]],
    ['xy', 3, [2, 3, 2], [2, 5, 1, 4, 0, 3, 8, 11, 7, 10, 6, 9], [2, 1, 3]],
    ['xy', -1, [2, 3, 2], [2, 5, 1, 4, 0, 3, 8, 11, 7, 10, 6, 9], [2, 1, 3]],
    ['yz', 1, [3, 2, 2], [6, 7, 8, 0, 1, 2, 9, 10, 11, 3, 4, 5], [1, 3, 2]],
    ['xz', 1, [2, 2, 3], [6, 0, 9, 3, 7, 1, 10, 4, 8, 2, 11, 5], [3, 2, 1]],
    ['xy', 4, [3, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [1, 2, 3]],
  ])('in %s by %i quarter turns (hand-written)', (plane, k, shape, expected, spacing) => {
    const out = rot90(small(), plane, k);
    expectConsistent(out, expected, shape);
    expect(out.spacing).toEqual(spacing);
  });

  it.each<Plane>(['xy', 'xz', 'yz'])('four quarter turns in %s give the input back', (plane) => {
    let s = small();
    for (let i = 0; i < 4; i++) s = rot90(s, plane, 1);
    expect(Array.from(s.image)).toEqual(Array.from(small().image));
    expect(s.shape).toEqual([3, 2, 2]);
  });

  it('rejects a fractional turn and an unknown plane', () => {
    expect(() => rot90(small(), 'xy', 0.5)).toThrow(InputError);
    expect(() => rot90(small(), 'xw' as Plane, 1)).toThrow(/rot90.plane/);
  });

  it('rejects a sample whose arrays do not match its shape', () => {
    const s = small();
    expect(() => flip({ ...s, label: new Uint8Array(5) }, ['x'])).toThrow(/sample.label/);
    expect(() => rot90({ ...s, image: new Float32Array(3) }, 'xy', 1)).toThrow(/sample.image/);
  });
});
