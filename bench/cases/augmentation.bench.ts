// Augmentation throughput: the full random pipeline on a 1x128^3 patch (3D) and on a batch of 4 2D patches of
// 128^2 with 3 channels (the 2.5D U-Net's input), against copying the same patch (image + label) measured in the same
// run, with a single flip (the cheapest real transform) as a second yardstick. Two configurations: nnU-Net's defaults
// (what training uses unless told otherwise) and every transform drawn every time (the worst case: one resampling
// with elastic + affine, rot90, flips, and all ten intensity steps). Single-threaded: the prefetch worker runs it
// beside training, so it keeps up when one patch is augmented faster than the trainer consumes one.
import { Augmentation, flip, type AugmentationConfigInput, type Sample, type Shape3 } from '../../main/training/transforms/index.ts';
import { mulberry32 } from '../../main/util/random.ts';
import { emit, median } from '../lib/result.ts';

const EVERYTHING: AugmentationConfigInput = {
  elastic: { p: 1 },
  affine: { pRotation: 1, pScale: 1 },
  rot90: { p: 1, planes: ['xy', 'xz', 'yz'] },
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

function patch(shape: Shape3, channels: number, seed: number): Sample {
  const [nx, ny, nz] = shape;
  const n = nx * ny * nz;
  const image = new Float32Array(n * channels);
  const label = new Uint8Array(n);
  const rand = mulberry32(seed);
  for (let i = 0; i < n; i++) {
    const x = i % nx;
    const y = Math.floor(i / nx) % ny;
    const z = Math.floor(i / (nx * ny));
    const v = Math.sin(x / 9) * Math.cos(y / 7) + Math.sin(z / 5);
    label[i] = v > 0.5 ? 2 : v > 0 ? 1 : 0;
    for (let c = 0; c < channels; c++) image[i * channels + c] = v + 0.1 * c + 0.05 * (rand() - 0.5);
  }
  return { image, label, shape, channels };
}

/** Patches per second over `count` patches (one batch = `batch` patches), median of `rounds` rounds. */
function rate(samples: Sample[], run: (s: Sample, i: number) => unknown, count: number, rounds = 3): number {
  run(samples[0], 0); // warm-up (JIT)
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) run(samples[i % samples.length], r * count + i);
    rates.push(count / ((performance.now() - t0) / 1000));
  }
  return median(rates);
}

const cases: { name: string; shape: Shape3; channels: number; batch: number; count: Record<string, number> }[] = [
  { name: '1x128^3', shape: [128, 128, 128], channels: 1, batch: 1, count: { defaults: 12, everything: 4 } },
  { name: '4x128^2x3', shape: [128, 128, 1], channels: 3, batch: 4, count: { defaults: 200, everything: 60 } },
];

for (const c of cases) {
  const samples = Array.from({ length: c.batch }, (_, i) => patch(c.shape, c.channels, i + 1));
  const copy = rate(samples, (s) => ({ image: s.image.slice(), label: s.label.slice() }), c.count.defaults * 4);
  const flipped = rate(samples, (s) => flip(s, ['x']), c.count.defaults * 2);
  for (const [configName, config] of [
    ['defaults', {}],
    ['everything', EVERYTHING],
  ] as const) {
    const aug = new Augmentation(config);
    const perPatch = rate(samples, (s, i) => aug.apply(s, mulberry32(1000 + i)), c.count[configName]);
    const perBatch = perPatch / c.batch;
    emit({
      name: `augment ${c.name} (${configName}), ${c.batch > 1 ? 'batches' : 'patches'}/s`,
      value: perBatch,
      unit: c.batch > 1 ? 'batches/s' : 'patches/s',
      reference: { name: 'copy image+label', value: copy / c.batch },
      ratio: perBatch / (copy / c.batch),
      better: 'higher',
      target: configName === 'defaults' ? '>= 1 batch/s on one core' : undefined,
      pass: configName === 'defaults' ? perBatch >= 1 : undefined,
      note:
        `${perPatch.toFixed(1)} patches/s on one core (${(1000 / perPatch).toFixed(0)} ms/patch; a single x-flip: ` +
        `${(1000 / flipped).toFixed(1)} ms); ${c.shape.join('x')}x${c.channels}ch, ${c.count[configName]} patches x 3 rounds, seeds vary`,
    });
  }
}
