/**
 * Batches for training: draws patches with the PatchSampler, cuts them (patches.ts), augments them and packs them
 * channels-last. Every batch's randomness comes from a seed derived from (seed, epoch, step), so the same batch comes
 * out whatever thread makes it and whenever a run is resumed (hard-example mining aside, which depends on losses).
 */
import type { InputLayout } from '../../../models/spec.ts';
import { mulberry32 } from '../../util/random.ts';
import { deriveSeed } from '../optim/index.ts';
import { createAugmentation, type AugmentationConfigInput, type AugmentFn, type Sample } from '../transforms/index.ts';
import type { LoadedCase } from './cases.ts';
import { extractPatch, layoutChannels, planeAxes, tensorShapeOf, type Vec3i } from './patches.ts';
import { PatchSampler, type PatchDraw, type SamplerConfigInput } from './sampler.ts';

export interface Batch {
  epoch: number;
  step: number;
  /** [batch, ...spatial, channels] */
  imageShape: number[];
  image: Float32Array;
  /** [batch, ...spatial] class values */
  label: Uint8Array;
  draws: PatchDraw[];
}

/** Sampler patch size (x, y, z) from the config's patch size: 3 sizes for 3D, the 2 in-plane sizes otherwise. */
export function samplerPatchSize(layout: InputLayout, patchSize: readonly number[]): Vec3i {
  if (layout.kind === '3d') return [patchSize[0], patchSize[1], patchSize[2]];
  const size: Vec3i = [1, 1, 1];
  const [h, w] = planeAxes(layout.axis);
  const plane = [w, h].sort((a, b) => a - b);
  size[plane[0]] = patchSize[0];
  size[plane[1]] = patchSize[1];
  return size;
}

export interface BatchMakerOptions {
  layout: InputLayout;
  patchSize: readonly number[];
  batchSize: number;
  seed: number;
  sampler?: SamplerConfigInput;
  augmentation?: AugmentationConfigInput | null;
}

export class BatchMaker {
  readonly sampler: PatchSampler;
  readonly size: Vec3i;
  readonly spatial: number[];
  readonly channels: number;
  private random: () => number = Math.random;
  private readonly augment: AugmentFn | null;

  constructor(
    private readonly cases: readonly LoadedCase[],
    private readonly options: BatchMakerOptions,
  ) {
    this.size = samplerPatchSize(options.layout, options.patchSize);
    this.spatial = tensorShapeOf(options.layout, this.size);
    this.channels = layoutChannels(options.layout);
    this.sampler = new PatchSampler(cases, this.size, options.sampler ?? {}, () => this.random());
    this.augment = options.augmentation === null ? null : createAugmentation(options.augmentation ?? {});
  }

  make(epoch: number, step: number): Batch {
    const { batchSize, layout, seed } = this.options;
    this.random = mulberry32(deriveSeed(seed, 'batch', epoch, step));
    this.sampler.setEpoch(epoch);
    const voxels = this.spatial.reduce((a, b) => a * b, 1);
    const image = new Float32Array(batchSize * voxels * this.channels);
    const label = new Uint8Array(batchSize * voxels);
    const draws: PatchDraw[] = [];
    // Sample shape for the augmentation: x-fastest; a 2D patch [H, W] is (x = W, y = H, z = 1).
    const sampleShape: Vec3i = layout.kind === '3d' ? this.size : [this.spatial[1], this.spatial[0], 1];
    for (let b = 0; b < batchSize; b++) {
      const draw = this.sampler.next();
      draws.push(draw);
      const pi = new Float32Array(voxels * this.channels);
      const pl = new Uint8Array(voxels);
      extractPatch(this.cases[draw.caseIndex], layout, draw.corner, this.size, pi, pl);
      let sample: Sample = { image: pi, label: pl, shape: sampleShape, channels: this.channels };
      if (this.augment) {
        sample = this.augment(sample, this.random);
        if (sample.image.length !== pi.length || sample.label.length !== pl.length) throw new Error('augmentation changed the patch size');
      }
      image.set(sample.image, b * voxels * this.channels);
      label.set(sample.label, b * voxels);
    }
    return { epoch, step, imageShape: [batchSize, ...this.spatial, this.channels], image, label, draws };
  }
}
