/** The sliding-window engine on volumes held in memory: a plane source over a typed array, a sink into one. */
import type { TypedArray } from '../../volume/dtype.ts';
import type { Vec3 } from '../../volume/volume.ts';
import { stitchWindows, type PlaneSink, type PlaneSource, type StitchOptions, type StitchResult, type WindowEvaluator } from './stitcher.ts';

/** Planes of an x-fastest, channel-interleaved array, converted to float32. */
export function arraySource(data: TypedArray, shape: Vec3, channels: number): PlaneSource {
  const plane = shape[0] * shape[1] * channels;
  if (data.length !== plane * shape[2]) throw new RangeError(`array of ${data.length} values does not hold [${shape.join(', ')}] x ${channels}`);
  return {
    shape,
    channels,
    readPlanes: async (z0, depth) => {
      const part = data.subarray(z0 * plane, (z0 + depth) * plane);
      return part instanceof Float32Array ? part : Float32Array.from(part as ArrayLike<number>);
    },
  };
}

/** Collects every plane into one array of `features` values per voxel. */
export class ArraySink implements PlaneSink {
  readonly slabDepth: number;
  readonly data: Float32Array;
  readonly #plane: number;

  constructor(shape: Vec3, features: number, slabDepth = 16) {
    this.slabDepth = slabDepth;
    this.#plane = shape[0] * shape[1] * features;
    this.data = new Float32Array(this.#plane * shape[2]);
  }

  async writePlanes(z0: number, _depth: number, data: Float32Array): Promise<void> {
    this.data.set(data, z0 * this.#plane);
  }
}

export interface InMemoryInput {
  data: TypedArray;
  shape: Vec3;
  channels: number;
}

/** Sliding-window inference of a volume in memory; returns the blended features (x fastest, interleaved). */
export async function slidingWindowInference(
  input: InMemoryInput,
  evaluate: WindowEvaluator,
  options: StitchOptions,
): Promise<{ features: Float32Array; result: StitchResult }> {
  const sink = new ArraySink(input.shape, options.features);
  const result = await stitchWindows(arraySource(input.data, input.shape, input.channels), evaluate, sink, options);
  return { features: sink.data, result };
}

/** MONAI-style configurable inferer: the options once, then `infer` on volumes or `run` on any source and sink. */
export class SlidingWindowInferer {
  readonly options: StitchOptions;

  constructor(options: StitchOptions) {
    this.options = { ...options };
  }

  infer(input: InMemoryInput, evaluate: WindowEvaluator): Promise<{ features: Float32Array; result: StitchResult }> {
    return slidingWindowInference(input, evaluate, this.options);
  }

  run(source: PlaneSource, evaluate: WindowEvaluator, sink: PlaneSink): Promise<StitchResult> {
    return stitchWindows(source, evaluate, sink, this.options);
  }
}
