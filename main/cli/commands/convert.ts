import { readVolume, writeVolume } from '../../io/registry.ts';
import { InputError } from '../../util/errors.ts';
import { parseCommandArgs } from '../args.ts';
import { formatVector, printJson } from '../output.ts';

export async function convertCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('convert', argv, {
    json: { type: 'boolean', default: false },
    dataset: { type: 'string' },
    series: { type: 'string' },
  });
  if (positionals.length !== 2) throw new InputError('segstation convert', 'usage: segstation convert IN OUT');
  const [input, output] = positionals;
  const volume = await readVolume(input, {
    ...(values.dataset ? { dataset: values.dataset } : {}),
    ...(values.series ? { series: values.series } : {}),
  });
  await writeVolume(volume, output);
  const summary = { input, output, from: volume.meta.format, shape: volume.shape, dtype: volume.dtype };
  if (values.json) printJson(summary);
  else process.stdout.write(`${input} (${summary.from}) -> ${output}: ${formatVector(volume.shape)} ${volume.dtype}\n`);
}
