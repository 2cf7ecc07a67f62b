import { assignSplits, computeStatistics, importCase, initProject, type DomainStatistics } from '../../dataset/index.ts';
import { InputError } from '../../util/errors.ts';
import { parseCommandArgs, parseIntegerOption, requireString } from '../args.ts';
import { formatFields, formatNumber, formatVector, printJson } from '../output.ts';

/** `segstation project init DIR [--name NAME]` */
export async function projectCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub !== 'init') throw new InputError('segstation project', `unknown subcommand '${sub ?? ''}' (expected: init)`);
  const { values, positionals } = parseCommandArgs('project init', rest, {
    name: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length !== 1) throw new InputError('segstation project init', 'usage: segstation project init DIR');
  const info = await initProject(positionals[0], values.name ? { name: values.name } : {});
  if (values.json) printJson(info);
  else process.stdout.write(`Created project '${info.name}' in ${info.dir}\n  catalogue ${info.catalogue}\n`);
}

/** `segstation import DIR --image FILE [--image FILE ...] [--label FILE] [--case ID] [--domain NAME] [--modality M ...]` */
export async function importCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('import', argv, {
    image: { type: 'string', multiple: true },
    label: { type: 'string' },
    case: { type: 'string' },
    domain: { type: 'string' },
    modality: { type: 'string', multiple: true },
    note: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length !== 1) throw new InputError('segstation import', 'usage: segstation import DIR --image FILE [--label FILE]');
  if (!values.image || values.image.length === 0) throw new InputError('segstation import', '--image is required');
  const result = await importCase(positionals[0], {
    image: values.image,
    ...(values.label ? { label: values.label } : {}),
    ...(values.case ? { caseId: values.case } : {}),
    ...(values.domain ? { domain: values.domain } : {}),
    ...(values.modality ? { modality: values.modality } : {}),
    ...(values.note ? { note: values.note } : {}),
  });
  if (values.json) {
    printJson(result);
    return;
  }
  const c = result.case;
  const lines = [`Imported case '${c.id}' (domain '${c.domain}')`];
  for (const v of c.volumes) {
    lines.push(`  ${v.role}${v.channel !== null ? ` ${v.channel}` : ''}: ${v.sourcePath} -> ${v.storePath} ${formatVector(v.shape)} ${v.dtype}`);
  }
  if (c.labelCounts.length > 0) lines.push(`  label values: ${c.labelCounts.map((l) => `${l.value}: ${l.count}`).join(', ')}`);
  if (result.addedClasses.length > 0) lines.push(`  new classes: ${result.addedClasses.map((k) => `${k.value} '${k.name}'`).join(', ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** `segstation split DIR --folds K --seed S [--test-fraction F]` */
export async function splitCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('split', argv, {
    folds: { type: 'string' },
    seed: { type: 'string' },
    'test-fraction': { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length !== 1) throw new InputError('segstation split', 'usage: segstation split DIR --folds K --seed S');
  const folds = parseIntegerOption('split', values.folds, '--folds', 2);
  const seed = parseIntegerOption('split', values.seed, '--seed', -(2 ** 31));
  let testFraction: number | undefined;
  if (values['test-fraction'] !== undefined) {
    const text = requireString('split', values['test-fraction'], '--test-fraction');
    testFraction = Number(text);
    if (!Number.isFinite(testFraction) || testFraction < 0 || testFraction >= 1) {
      throw new InputError('segstation split', `--test-fraction must be a number in [0, 1), got '${text}'`);
    }
  }
  const assignment = await assignSplits(positionals[0], { folds, seed, ...(testFraction !== undefined ? { testFraction } : {}) });
  if (values.json) {
    printJson(assignment);
    return;
  }
  const lines = [`Split ${assignment.cases.length} labelled cases into ${assignment.folds} folds (seed ${assignment.seed})`];
  for (let k = 0; k < assignment.folds; k++) {
    const ids = assignment.cases.filter((c) => c.fold === k).map((c) => c.caseId);
    lines.push(`  fold ${k}: ${ids.join(', ')}`);
  }
  const test = assignment.cases.filter((c) => c.pool === 'test').map((c) => c.caseId);
  if (test.length > 0) lines.push(`  test: ${test.join(', ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function describeStatistics(s: DomainStatistics): string {
  const n = (v: number | null) => (v === null ? '-' : formatNumber(v, 5));
  return `domain '${s.domain}' channel ${s.channel}${s.modality ? ` (${s.modality})` : ''}\n${formatFields([
    ['voxels', `${s.voxelCount} (${s.mask === 'foreground' ? 'label > 0' : 'all voxels'}, ${s.caseCount} cases)`],
    ['mean ± std', `${n(s.mean)} ± ${n(s.std)}`],
    ['p0.5 / p99.5', `${n(s.p0_5)} / ${n(s.p99_5)} (${s.percentileMethod})`],
    ['min / max', `${n(s.min)} / ${n(s.max)}`],
  ])}`;
}

/** `segstation stats DIR [--json]`: recomputes and stores per-domain intensity statistics. */
export async function statsCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('stats', argv, { json: { type: 'boolean', default: false } });
  if (positionals.length !== 1) throw new InputError('segstation stats', 'usage: segstation stats DIR');
  const stats = await computeStatistics(positionals[0]);
  if (values.json) printJson(stats);
  else process.stdout.write(`${stats.length === 0 ? 'No cases imported yet.' : stats.map(describeStatistics).join('\n\n')}\n`);
}
