/**
 * A small ONNX graph builder: named values, float32/int64 initializers, and the operators a 2D/3D U-Net needs
 * (convolutions, normalisations, activations, skip connections, pooling/upsampling, softmax, dropout). Tensors are
 * channels-first (NCHW / NCDHW), as ONNX convolutions want. `toBytes()` gives the serialised ModelProto.
 */
import { writeFileAtomic } from '../../util/atomic.ts';
import { IR_VERSION, onnx, type IAttributeProto, type INodeProto, type ITensorProto, type IValueInfoProto } from './proto.ts';

/** Default opset: 17 (Dropout with training_mode, Softmax on one axis, Resize v13, LayerNormalization). */
export const DEFAULT_OPSET = 17;

export type Dim = number | string;
export type AttributeValue = number | string | number[] | { float: number } | { floats: number[] };

export interface FloatTensor {
  data: Float32Array;
  dims: number[];
}

export interface ConvOptions {
  strides?: number[];
  /** 'SAME_UPPER' pads like TensorFlow's 'same' (any extra voxel at the end); `pads` is then ignored. */
  autoPad?: 'SAME_UPPER';
  pads?: number[];
  dilations?: number[];
  group?: number;
}

const DataType = onnx.TensorProto.DataType;
const AttrType = onnx.AttributeProto.AttributeType;

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function valueInfo(name: string, dims: readonly Dim[], elemType: number): IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue): IAttributeProto {
  if (typeof value === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new RangeError(`attribute ${name}: non-integer ${value} needs { float }`);
    return { name, type: AttrType.INT, i: value };
  }
  if (Array.isArray(value)) return { name, type: AttrType.INTS, ints: value };
  if ('float' in value) return { name, type: AttrType.FLOAT, f: value.float };
  return { name, type: AttrType.FLOATS, floats: value.floats };
}

export class OnnxGraphBuilder {
  readonly name: string;
  readonly opset: number;
  readonly #nodes: INodeProto[] = [];
  readonly #initializers: ITensorProto[] = [];
  readonly #inputs: IValueInfoProto[] = [];
  readonly #outputs: IValueInfoProto[] = [];
  readonly #names = new Set<string>();
  #counter = 0;

  constructor(name = 'segstation', opset = DEFAULT_OPSET) {
    this.name = name;
    this.opset = opset;
  }

  /** A fresh value name with a readable prefix. */
  fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.#counter++}`;
    while (this.#names.has(name));
    this.#names.add(name);
    return name;
  }

  #claim(name: string): string {
    if (this.#names.has(name)) throw new RangeError(`ONNX graph ${this.name}: value name '${name}' is already used`);
    this.#names.add(name);
    return name;
  }

  input(name: string, dims: readonly Dim[], elemType: number = DataType.FLOAT): string {
    this.#inputs.push(valueInfo(this.#claim(name), dims, elemType));
    return name;
  }

  /** Declares `value` a graph output (renaming it through Identity when `name` differs). */
  output(value: string, name: string = value, dims: readonly Dim[] = [], elemType: number = DataType.FLOAT): string {
    let out = value;
    if (name !== value) {
      this.#claim(name);
      this.#nodes.push({ opType: 'Identity', input: [value], output: [name], name: `Identity_${name}` });
      out = name;
    }
    this.#outputs.push(valueInfo(out, dims, elemType));
    return out;
  }

  floatInitializer(prefix: string, data: Float32Array | readonly number[], dims: readonly number[]): string {
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    if (values.length !== product(dims)) {
      throw new RangeError(`initializer ${prefix}: ${values.length} values do not fill dims [${dims.join(', ')}]`);
    }
    const name = this.fresh(prefix);
    const raw = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
    this.#initializers.push({ name, dataType: DataType.FLOAT, dims: [...dims], rawData: raw });
    return name;
  }

  int64Initializer(prefix: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    const name = this.fresh(prefix);
    const raw = new BigInt64Array(values.map((v) => BigInt(v)));
    this.#initializers.push({ name, dataType: DataType.INT64, dims: [...dims], rawData: new Uint8Array(raw.buffer) });
    return name;
  }

  boolInitializer(prefix: string, value: boolean): string {
    const name = this.fresh(prefix);
    this.#initializers.push({ name, dataType: DataType.BOOL, dims: [], rawData: new Uint8Array([value ? 1 : 0]) });
    return name;
  }

  /** Adds a node; returns its output names (`outputs` new names by default). */
  node(opType: string, inputs: readonly string[], attrs: Record<string, AttributeValue> = {}, outputs = 1): string[] {
    const outs = Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()));
    this.#nodes.push({
      opType,
      name: `${opType}_${this.#nodes.length}`,
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  #one(opType: string, inputs: readonly string[], attrs: Record<string, AttributeValue> = {}): string {
    return this.node(opType, inputs, attrs)[0];
  }

  // --- operators --------------------------------------------------------------------------------------------

  /** Conv with weight [Cout, Cin/group, k...] and optional bias [Cout]. */
  conv(x: string, weight: FloatTensor, bias?: Float32Array, options: ConvOptions = {}): string {
    const w = this.floatInitializer('conv_w', weight.data, weight.dims);
    const inputs = [x, w];
    if (bias) inputs.push(this.floatInitializer('conv_b', bias, [weight.dims[0]]));
    return this.#one('Conv', inputs, convAttrs(weight.dims.slice(2), options));
  }

  /** ConvTranspose with weight [Cin, Cout/group, k...] (ONNX's order) and optional bias [Cout]. */
  convTranspose(x: string, weight: FloatTensor, bias?: Float32Array, options: ConvOptions = {}): string {
    const w = this.floatInitializer('convT_w', weight.data, weight.dims);
    const inputs = [x, w];
    const group = options.group ?? 1;
    if (bias) inputs.push(this.floatInitializer('convT_b', bias, [weight.dims[1] * group]));
    return this.#one('ConvTranspose', inputs, convAttrs(weight.dims.slice(2), options));
  }

  relu(x: string): string {
    return this.#one('Relu', [x]);
  }

  leakyRelu(x: string, alpha = 0.01): string {
    return this.#one('LeakyRelu', [x], { alpha: { float: alpha } });
  }

  sigmoid(x: string): string {
    return this.#one('Sigmoid', [x]);
  }

  batchNorm(x: string, p: { scale: Float32Array; bias: Float32Array; mean: Float32Array; variance: Float32Array }, epsilon = 1e-5): string {
    const c = p.scale.length;
    return this.#one(
      'BatchNormalization',
      [
        x,
        this.floatInitializer('bn_scale', p.scale, [c]),
        this.floatInitializer('bn_bias', p.bias, [c]),
        this.floatInitializer('bn_mean', p.mean, [c]),
        this.floatInitializer('bn_var', p.variance, [c]),
      ],
      { epsilon: { float: epsilon } },
    );
  }

  instanceNorm(x: string, scale: Float32Array, bias: Float32Array, epsilon = 1e-5): string {
    const c = scale.length;
    return this.#one(
      'InstanceNormalization',
      [x, this.floatInitializer('in_scale', scale, [c]), this.floatInitializer('in_bias', bias, [c])],
      { epsilon: { float: epsilon } },
    );
  }

  /**
   * Group normalisation over `groups` groups of channels, decomposed as Reshape [N, G, -1] + InstanceNormalization
   * (unit scale, zero bias) + Reshape back + per-channel affine, so it runs on every opset >= 13.
   * `spatialDims` is 2 or 3.
   */
  groupNorm(x: string, groups: number, scale: Float32Array, bias: Float32Array, spatialDims: 2 | 3, epsilon = 1e-5): string {
    const c = scale.length;
    if (c % groups !== 0) throw new RangeError(`group norm: ${c} channels are not divisible by ${groups} groups`);
    const shape = this.#one('Shape', [x]);
    const grouped = this.#one('Reshape', [x, this.int64Initializer('gn_shape', [0, groups, -1])]);
    const normed = this.instanceNorm(grouped, new Float32Array(groups).fill(1), new Float32Array(groups), epsilon);
    const back = this.#one('Reshape', [normed, shape]);
    const affineDims = [c, ...Array<number>(spatialDims).fill(1)];
    const scaled = this.#one('Mul', [back, this.floatInitializer('gn_scale', scale, affineDims)]);
    return this.#one('Add', [scaled, this.floatInitializer('gn_bias', bias, affineDims)]);
  }

  add(a: string, b: string): string {
    return this.#one('Add', [a, b]);
  }

  mul(a: string, b: string): string {
    return this.#one('Mul', [a, b]);
  }

  concat(values: readonly string[], axis = 1): string {
    return this.#one('Concat', values, { axis });
  }

  softmax(x: string, axis = 1): string {
    return this.#one('Softmax', [x], { axis });
  }

  transpose(x: string, perm: number[]): string {
    return this.#one('Transpose', [x], { perm });
  }

  /** Drops `starts[i]` leading elements of each axis in `axes` (the rest of the axis is kept). */
  sliceFrom(x: string, axes: number[], starts: number[]): string {
    const ends = axes.map(() => 2 ** 53 - 1);
    return this.#one('Slice', [x, this.int64Initializer('slice_starts', starts), this.int64Initializer('slice_ends', ends), this.int64Initializer('slice_axes', axes)]);
  }

  maxPool(x: string, kernel: number[], strides: number[] = kernel): string {
    return this.#one('MaxPool', [x], { kernel_shape: kernel, strides });
  }

  /** Resize by integer scale factors on the spatial axes (N and C keep scale 1). */
  upsample(x: string, factors: number[], mode: 'nearest' | 'linear' = 'nearest'): string {
    const roi = this.floatInitializer('resize_roi', new Float32Array(0), [0]);
    const scales = this.floatInitializer('resize_scales', [1, 1, ...factors], [factors.length + 2]);
    return this.#one('Resize', [x, roi, scales], { mode, ...(mode === 'nearest' ? { nearest_mode: 'floor' } : {}) });
  }

  /**
   * Dropout. Inactive (the default at inference) it is the identity and adds no node. Active (MC-dropout) it is
   * x * (U < keep) / keep with U from RandomUniformLike: ONNX Dropout with training_mode = true is not enough, since
   * onnxruntime's basic graph optimisations remove Dropout nodes whatever their training_mode. `seed` makes the
   * sequence of masks reproducible across sessions (each run draws a new mask).
   */
  dropout(x: string, ratio: number, active: boolean, seed?: number): string {
    if (!(ratio >= 0 && ratio < 1)) throw new RangeError(`dropout ratio must be in [0, 1), got ${ratio}`);
    if (!active || ratio === 0) return x;
    const keep = 1 - ratio;
    const uniform = this.#one('RandomUniformLike', [x], { low: { float: 0 }, high: { float: 1 }, ...(seed === undefined ? {} : { seed: { float: seed } }) });
    const kept = this.#one('Less', [uniform, this.floatInitializer('dropout_keep', [keep], [])]);
    const mask = this.#one('Cast', [kept], { to: DataType.FLOAT });
    return this.mul(this.mul(x, mask), this.floatInitializer('dropout_scale', [1 / keep], []));
  }

  // --- serialisation ----------------------------------------------------------------------------------------

  toBytes(docString = ''): Uint8Array {
    if (this.#outputs.length === 0) throw new RangeError(`ONNX graph ${this.name} has no outputs`);
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'segstation',
      producerVersion: '1',
      docString,
      opsetImport: [{ domain: '', version: this.opset }],
      graph: {
        name: this.name,
        node: this.#nodes,
        initializer: this.#initializers,
        input: this.#inputs,
        output: this.#outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  async save(file: string, docString = ''): Promise<void> {
    await writeFileAtomic(file, this.toBytes(docString));
  }
}

function convAttrs(kernel: number[], options: ConvOptions): Record<string, AttributeValue> {
  const n = kernel.length;
  return {
    kernel_shape: kernel,
    strides: options.strides ?? Array<number>(n).fill(1),
    ...(options.autoPad ? { auto_pad: options.autoPad } : { pads: options.pads ?? Array<number>(2 * n).fill(0) }),
    dilations: options.dilations ?? Array<number>(n).fill(1),
    group: options.group ?? 1,
  };
}

/** Symmetric "same" padding for odd kernels: [k/2 ... k/2] for begins and ends. */
export function samePads(kernel: readonly number[]): number[] {
  const half = kernel.map((k) => (k - 1) >> 1);
  return [...half, ...kernel.map((k, i) => k - 1 - half[i])];
}
