/** Small ONNX models and cards made at test time with the graph builder. */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ONNX_CARD_FORMAT, type ModelCardInput } from '../../../main/inference/modelCard.ts';
import { OnnxGraphBuilder } from '../../../main/inference/onnx/graph.ts';

export async function tempDir(prefix = 'segstation-inference-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export function cardFor(classes: number, overrides: Partial<ModelCardInput> = {}): ModelCardInput {
  return {
    format: ONNX_CARD_FORMAT,
    name: 'test',
    inputChannels: classes,
    classNames: Array.from({ length: classes }, (_, k) => (k === 0 ? 'background' : `class${k}`)),
    spacing: null,
    patchSize: [8, 8, 8],
    normalization: { kind: 'none' },
    output: 'probabilities',
    ...overrides,
  };
}

export async function writeModel(dir: string, name: string, graph: OnnxGraphBuilder, card: ModelCardInput): Promise<string> {
  const file = path.join(dir, `${name}.onnx`);
  await graph.save(file);
  await fs.writeFile(path.join(dir, `${name}.card.json`), JSON.stringify(card));
  return file;
}

/** The identity on class scores: softmax over the input channels (3D, or 2D with `rank` 4). */
export function softmaxGraph(classes: number, rank: 4 | 5 = 5): OnnxGraphBuilder {
  const g = new OnnxGraphBuilder('softmax');
  const spatial = rank === 5 ? ['D', 'H', 'W'] : ['H', 'W'];
  const x = g.input('image', ['N', classes, ...spatial]);
  g.output(g.softmax(x, 1), 'probabilities', ['N', classes, ...spatial]);
  return g;
}

/** Softmax of channel-interleaved scores, the reference the identity model must reproduce. */
export function softmaxInterleaved(data: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let v = 0; v < data.length; v += classes) {
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, data[v + k]);
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp(data[v + k] - max);
    for (let k = 0; k < classes; k++) out[v + k] = Math.exp(data[v + k] - max) / sum;
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A 3x3x3 'same' convolution from `channels` to `classes` logits with seeded weights: window edges matter. */
export function convGraph(channels: number, classes: number, seed = 7): OnnxGraphBuilder {
  let state = seed;
  const rand = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 0.6;
  const g = new OnnxGraphBuilder('conv');
  const x = g.input('image', ['N', channels, 'D', 'H', 'W']);
  const w = Float32Array.from({ length: classes * channels * 27 }, rand);
  const b = Float32Array.from({ length: classes }, rand);
  const y = g.conv(x, { data: w, dims: [classes, channels, 3, 3, 3] }, b, { pads: [1, 1, 1, 1, 1, 1] });
  g.output(y, 'logits', ['N', classes, 'D', 'H', 'W']);
  return g;
}

/**
 * Two classes from one intensity channel I: logit1 - logit0 = s (I - 0.5) + g (Dropout(1) - 1), the dropout
 * (active, p = 0.5) adding +-g per voxel and pass. With g < s / 2 only voxels with I near 0.5 change class.
 */
export function ambiguousDropoutGraph(s = 10, gain = 2, seed = 3): OnnxGraphBuilder {
  const g = new OnnxGraphBuilder('mc');
  const x = g.input('image', ['N', 1, 'D', 'H', 'W']);
  const a = g.conv(x, { data: Float32Array.from([0, s]), dims: [2, 1, 1, 1, 1] }, Float32Array.from([0, -0.5 * s]));
  const one = g.conv(x, { data: Float32Array.from([0, 0]), dims: [2, 1, 1, 1, 1] }, Float32Array.from([0, 1]));
  const dropped = g.dropout(one, 0.5, true, seed);
  const noise = g.node('Sub', [dropped, one])[0];
  const scaled = g.mul(noise, g.floatInitializer('gain', [gain], []));
  g.output(g.add(a, scaled), 'logits', ['N', 2, 'D', 'H', 'W']);
  return g;
}
