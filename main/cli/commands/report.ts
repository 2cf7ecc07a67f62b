/** `segstation report DIR --run ID --out FILE.html|FILE.pdf [--case ID] [--snapshot PNG] [--reevaluate] [--json]` */
import { writeReport } from '../../report/index.ts';
import { InputError } from '../../util/errors.ts';
import { parseCommandArgs, requireString } from '../args.ts';
import { printJson } from '../output.ts';

export async function reportCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('report', argv, {
    run: { type: 'string' },
    out: { type: 'string' },
    case: { type: 'string' },
    snapshot: { type: 'string' },
    reevaluate: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length !== 1) throw new InputError('segstation report', 'usage: segstation report DIR --run ID --out FILE.html|FILE.pdf');
  const runId = requireString('report', values.run, '--run');
  const out = requireString('report', values.out, '--out');
  const result = await writeReport(positionals[0], runId, out, {
    ...(values.case ? { caseId: values.case } : {}),
    ...(values.snapshot ? { snapshot: values.snapshot } : {}),
    reevaluate: values.reevaluate,
  });
  if (values.json) printJson(result);
  else process.stdout.write(`Wrote ${result.format.toUpperCase()} report ${result.file}\n`);
}
