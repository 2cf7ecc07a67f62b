import { readVolume } from '../../io/registry.ts';
import { axisCodes } from '../../volume/orientation.ts';
import { distinctValues, looksLikeLabelMap, valueRange, type ValueCount } from '../../volume/statistics.ts';
import { parseCommandArgs } from '../args.ts';
import { formatFields, formatMatrix3, formatNumber, formatVector, printJson } from '../output.ts';

export interface VolumeInfo {
  file: string;
  format: string;
  /** (x, y, z) or (x, y, z, c) when there are several components. */
  shape: number[];
  spacing: number[];
  origin: number[];
  /** Row-major 3x3, LPS; column j is the direction of index axis j. */
  direction: number[];
  /** nibabel-style RAS+ axis codes, e.g. 'LSA'. */
  axisCodes: string;
  dtype: string;
  components: number;
  min: number;
  max: number;
  nanCount: number;
  isLabel: boolean;
  /** Label volumes only: every distinct value with its voxel count. */
  labelCounts?: ValueCount[];
  labelNames?: { value: number; name: string; color: [number, number, number] }[];
}

export async function volumeInfo(file: string, options: { asLabel?: boolean } = {}): Promise<VolumeInfo> {
  const volume = await readVolume(file);
  const range = valueRange(volume.data);
  const isLabel = options.asLabel === true || looksLikeLabelMap(volume);
  const info: VolumeInfo = {
    file,
    format: String(volume.meta.format),
    shape: volume.components > 1 ? [...volume.shape, volume.components] : [...volume.shape],
    spacing: volume.spacing,
    origin: volume.origin,
    direction: volume.direction,
    axisCodes: axisCodes(volume.direction),
    dtype: volume.dtype,
    components: volume.components,
    min: range.min,
    max: range.max,
    nanCount: range.nanCount,
    isLabel,
  };
  if (isLabel) {
    info.labelCounts = distinctValues(volume.data, 1 << 16) ?? undefined;
    if (volume.labels) info.labelNames = volume.labels;
  }
  return info;
}

function describe(info: VolumeInfo): string {
  const fields: [string, string][] = [
    ['format', info.format],
    ['shape', `${formatVector(info.shape)} (x, y, z${info.components > 1 ? ', c' : ''})`],
    ['spacing', `${formatVector(info.spacing)} mm`],
    ['origin', `${formatVector(info.origin)} mm (LPS)`],
    ['direction', `${formatMatrix3(info.direction)} (${info.axisCodes})`],
    ['dtype', info.dtype],
    ['min', formatNumber(info.min)],
    ['max', formatNumber(info.max)],
  ];
  if (info.nanCount > 0) fields.push(['NaN voxels', String(info.nanCount)]);
  if (info.labelCounts) {
    const names = new Map(info.labelNames?.map((l) => [l.value, l.name]));
    const counts = info.labelCounts
      .map((c) => `${c.value}${names.has(c.value) ? ` (${names.get(c.value)})` : ''}: ${c.count}`)
      .join(', ');
    fields.push(['labels', counts]);
  }
  return `${info.file}\n${formatFields(fields)}`;
}

export async function infoCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('info', argv, {
    json: { type: 'boolean', default: false },
    label: { type: 'boolean', default: false },
  });
  if (positionals.length === 0) {
    const { InputError } = await import('../../util/errors.ts');
    throw new InputError('segstation info', 'give at least one FILE');
  }
  const infos: VolumeInfo[] = [];
  for (const file of positionals) infos.push(await volumeInfo(file, { asLabel: values.label === true }));
  if (values.json) printJson(infos);
  else process.stdout.write(`${infos.map(describe).join('\n\n')}\n`);
}
