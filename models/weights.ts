/**
 * Weight files: `<name>.bin` holds the tensors' float32 values, little-endian, back to back, in manifest order;
 * `<name>.json` is the manifest:
 *   { "format": "segstation.weights/1", "dtype": "float32", "byteOrder": "little", "byteLength": N,
 *     "sha256": "<hex of the .bin>", "tensors": [{ "name", "shape", "offset" (bytes), "length" (values) }] }
 * The binary is written first, then the manifest (its hash binds the pair), each atomically; a checkpoint folder is
 * written as a whole with writeDirAtomic by the caller.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../main/util/atomic.ts';
import { errorMessage, InputError } from '../main/util/errors.ts';

export const WEIGHTS_FORMAT = 'segstation.weights/1';

export const WeightsManifestSchema = z.object({
  format: z.literal(WEIGHTS_FORMAT),
  dtype: z.literal('float32'),
  byteOrder: z.literal('little'),
  byteLength: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  tensors: z.array(
    z.object({
      name: z.string().min(1),
      shape: z.array(z.number().int().min(0)),
      offset: z.number().int().min(0),
      length: z.number().int().min(0),
    }),
  ),
});
export type WeightsManifest = z.infer<typeof WeightsManifestSchema>;

export interface NamedArray {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** Packs tensors into the binary layout and its manifest. */
export function encodeWeights(tensors: readonly NamedArray[]): { manifest: WeightsManifest; bytes: Uint8Array } {
  const total = tensors.reduce((s, t) => s + t.values.length, 0);
  const bytes = new Uint8Array(total * 4);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  const entries: WeightsManifest['tensors'] = [];
  for (const t of tensors) {
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (expected !== t.values.length) throw new Error(`weight ${t.name}: shape [${t.shape}] holds ${expected} values, got ${t.values.length}`);
    entries.push({ name: t.name, shape: [...t.shape], offset, length: t.values.length });
    for (let i = 0; i < t.values.length; i++) view.setFloat32(offset + 4 * i, t.values[i], true);
    offset += 4 * t.values.length;
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { manifest: { format: WEIGHTS_FORMAT, dtype: 'float32', byteOrder: 'little', byteLength: bytes.length, sha256, tensors: entries }, bytes };
}

/** Unpacks and checks a manifest against its bytes; `what` names the files in errors. */
export function decodeWeights(manifestValue: unknown, bytes: Uint8Array, what: string): NamedArray[] {
  const parsed = WeightsManifestSchema.safeParse(manifestValue);
  if (!parsed.success) throw new InputError(what, `not a weights manifest: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`);
  const manifest = parsed.data;
  if (bytes.length !== manifest.byteLength) throw new InputError(what, `weights are ${bytes.length} bytes, the manifest says ${manifest.byteLength}`);
  if (createHash('sha256').update(bytes).digest('hex') !== manifest.sha256) throw new InputError(what, 'weights do not match the manifest (sha256)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return manifest.tensors.map((t) => {
    if (t.offset + 4 * t.length > bytes.length) throw new InputError(what, `tensor ${t.name} lies beyond the end of the weights`);
    if (t.shape.reduce((a, b) => a * b, 1) !== t.length) throw new InputError(what, `tensor ${t.name}: shape and length disagree`);
    const values = new Float32Array(t.length);
    for (let i = 0; i < t.length; i++) values[i] = view.getFloat32(t.offset + 4 * i, true);
    return { name: t.name, shape: t.shape, values };
  });
}

/** Writes `<base>.bin` and `<base>.json`, each atomically, binary first. */
export async function saveWeights(base: string, tensors: readonly NamedArray[]): Promise<WeightsManifest> {
  const { manifest, bytes } = encodeWeights(tensors);
  await writeFileAtomic(`${base}.bin`, bytes);
  await writeFileAtomic(`${base}.json`, `${JSON.stringify(manifest, null, 1)}\n`);
  return manifest;
}

export async function loadWeights(base: string): Promise<NamedArray[]> {
  let manifest: unknown;
  let bytes: Uint8Array;
  try {
    manifest = JSON.parse(await fs.readFile(`${base}.json`, 'utf8'));
    bytes = new Uint8Array(await fs.readFile(`${base}.bin`));
  } catch (error) {
    throw new InputError(`${base}.json`, `cannot read weights: ${errorMessage(error)}`, { cause: error });
  }
  return decodeWeights(manifest, bytes, `${base}.json`);
}
