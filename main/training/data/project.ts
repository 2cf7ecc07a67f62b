/**
 * What a training run takes from a project: the classes, the cases of each subset of a fold (from the split table),
 * the domain statistics, and a dataset hash that changes whenever any of them changes. Every problem that would stop
 * training (no split, no labelled cases, a missing class, mixed channel counts) is an InputError raised here, before
 * any work starts.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { queryAll, readCatalogue } from '../../dataset/catalogue.ts';
import { selectCase, selectCases, selectClasses, selectStatistics } from '../../dataset/rows.ts';
import type { ClassRow, DomainStatistics, Subset } from '../../dataset/types.ts';
import { InputError } from '../../util/errors.ts';

export interface TrainingCaseRef {
  id: string;
  domain: string;
  /** Absolute store paths of the image channels, in channel order. */
  images: string[];
  modalities: (string | null)[];
  label: string;
  /** (x, y, z) */
  shape: [number, number, number];
  spacing: [number, number, number];
}

export interface TrainingSet {
  project: string;
  fold: number;
  folds: number;
  classes: ClassRow[];
  train: TrainingCaseRef[];
  val: TrainingCaseRef[];
  test: TrainingCaseRef[];
  statistics: DomainStatistics[];
  channels: number;
  /** SHA-256 over the classes, every case's volume hashes and its subset in this fold. */
  datasetHash: string;
}

/** Reads the training set of `fold`; with `fold` undefined, fold 0. */
export async function loadTrainingSet(dir: string, fold = 0): Promise<TrainingSet> {
  return readCatalogue(dir, (db, catalogue) => {
    const project = catalogue.dir;
    const settings = queryAll(db, 'SELECT folds FROM split_settings WHERE id = 1')[0];
    const cases = selectCases(db);
    if (cases.length === 0) throw new InputError(project, 'the project has no cases; import some with segstation import');
    const labelled = cases.filter((c) => c.hasLabel);
    if (labelled.length === 0) {
      throw new InputError(project, `none of the ${cases.length} cases has a label map; training needs labelled cases (segstation import --label)`);
    }
    if (!settings) throw new InputError(project, 'the project has no split; assign one with segstation split DIR --folds K --seed S');
    const folds = Number(settings.folds);
    if (!Number.isInteger(fold) || fold < 0 || fold >= folds) throw new InputError('fold', `must be in 0..${folds - 1} (the split has ${folds} folds), got ${fold}`);

    const subsets: Record<Subset, TrainingCaseRef[]> = { train: [], val: [], test: [] };
    const hash = createHash('sha256');
    const classes = selectClasses(db);
    hash.update(JSON.stringify(classes.map((c) => [c.value, c.name])));
    let channels: number | undefined;
    for (const summary of labelled) {
      const detail = selectCase(db, summary.id);
      if (!detail) continue;
      const split = detail.splits.find((s) => s.fold === fold);
      if (!split) continue; // labelled after the split was made: not part of it
      const images = detail.volumes.filter((v) => v.role === 'image');
      const label = detail.volumes.find((v) => v.role === 'label');
      if (!label || images.length === 0) continue;
      if (channels === undefined) channels = images.length;
      else if (channels !== images.length) {
        throw new InputError(`case ${detail.id}`, `has ${images.length} image channels, other cases have ${channels}; training needs one channel count`);
      }
      subsets[split.subset].push({
        id: detail.id,
        domain: detail.domain,
        images: images.map((v) => path.join(project, v.storePath)),
        modalities: images.map((v) => v.modality),
        label: path.join(project, label.storePath),
        shape: [...label.shape] as [number, number, number],
        spacing: [...label.spacing] as [number, number, number],
      });
      hash.update(JSON.stringify([detail.id, split.subset, ...detail.volumes.map((v) => v.sourceSha256)]));
    }
    if (subsets.train.length === 0) throw new InputError(project, `fold ${fold} has no labelled training cases; re-run segstation split`);
    if (subsets.val.length === 0) throw new InputError(project, `fold ${fold} has no labelled validation cases; re-run segstation split with more cases or folds`);
    if (classes.length < 2) throw new InputError(project, 'the labels hold a single class; segmentation needs at least two');
    return {
      project,
      fold,
      folds,
      classes,
      ...subsets,
      statistics: selectStatistics(db),
      channels: channels as number,
      datasetHash: hash.digest('hex'),
    };
  });
}
