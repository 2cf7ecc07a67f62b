/** `segstation microstructure FILE [--connectivity 6|18|26] [--json]` */
import { readVolume } from '../../io/registry.ts';
import { computeMicrostructure, type Connectivity } from '../../metrics/microstructure/index.ts';
import { InputError } from '../../util/errors.ts';
import { checkLabelMap } from '../../evaluation/validate.ts';
import { parseCommandArgs } from '../args.ts';
import { formatNumber, printJson } from '../output.ts';

export async function microstructureCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('microstructure', argv, {
    connectivity: { type: 'string', default: '6' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length !== 1) throw new InputError('segstation microstructure', 'usage: segstation microstructure FILE [--json]');
  const connectivity = Number(values.connectivity);
  if (connectivity !== 6 && connectivity !== 18 && connectivity !== 26) {
    throw new InputError('segstation microstructure', `--connectivity must be 6, 18 or 26, got '${values.connectivity}'`);
  }
  const file = positionals[0];
  const volume = await readVolume(file);
  checkLabelMap({ name: file, volume });
  const report = computeMicrostructure(volume.data, volume.shape, volume.spacing, { connectivity: connectivity as Connectivity });
  if (values.json) {
    printJson({ file, ...report });
    return;
  }
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  const lines = [
    `${file}: [${report.shape.join(', ')}] voxels, spacing [${report.spacing.join(', ')}], ${connectivity}-connectivity`,
    '  phase  fraction  surface area  specific area  components  percolating x / y / z',
  ];
  for (const p of report.phases) {
    lines.push(
      `  ${String(p.value).padStart(5)}  ${pct(p.volumeFraction).padStart(8)}  ${formatNumber(p.surfaceArea).padStart(12)}  ${formatNumber(p.specificSurfaceArea, 4).padStart(13)}  ${String(p.components).padStart(10)}  ${p.percolatingFraction.map(pct).join(' / ')}`,
    );
  }
  lines.push('  interfaces (voxel-face areas):');
  for (const i of report.interfaces) lines.push(`    ${i.a} | ${i.b}: area ${formatNumber(i.area)}, specific ${formatNumber(i.specificArea, 4)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
