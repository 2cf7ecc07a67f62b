/** Project-level queries for the viewer: open a project (and remember it), list its cases with engine volume ids. */
import type { CaseEntry, LabelEntry, ProjectSummary } from '../../ipc/contract.ts';
import { readCatalogue } from '../dataset/catalogue.ts';
import { openProject } from '../dataset/project.ts';
import { selectCase, selectCases, selectClasses } from '../dataset/rows.ts';
import type { RecentProjects } from './recentProjects.ts';
import type { VolumeService } from './volumes.ts';

export class ProjectService {
  readonly #volumes: VolumeService;
  readonly #recent: RecentProjects;
  /** The last project opened, reported by engine.info. */
  current: ProjectSummary | null = null;

  constructor(volumes: VolumeService, recent: RecentProjects) {
    this.#volumes = volumes;
    this.#recent = recent;
  }

  async open(dir: string): Promise<ProjectSummary> {
    const info = await openProject(dir);
    const summary = await readCatalogue(info.dir, (db) => ({
      dir: info.dir,
      name: info.name,
      created: info.created,
      schemaVersion: info.schemaVersion,
      appVersion: info.appVersion,
      caseCount: selectCases(db).length,
      classes: selectClasses(db),
    }));
    await this.#recent.remember({ dir: summary.dir, name: summary.name });
    this.current = summary;
    return summary;
  }

  recent() {
    return this.#recent.list();
  }

  /** Every case with the engine ids of its volumes (registered for lazy reading, not opened). */
  async cases(dir: string): Promise<CaseEntry[]> {
    const info = await openProject(dir);
    const details = await readCatalogue(info.dir, (db) => ({
      classes: selectClasses(db),
      cases: selectCases(db).map((c) => selectCase(db, c.id)).filter((c) => c !== undefined && c !== null),
    }));
    const labels: LabelEntry[] = details.classes.map((c) => ({ value: c.value, name: c.name, color: c.color }));
    return details.cases.map((c) => {
      const images = c.volumes.filter((v) => v.role === 'image').sort((a, b) => (a.channel ?? 0) - (b.channel ?? 0));
      const imageIds = images.map((row) => this.#volumes.registerProjectVolume({ dir: info.dir, row }));
      const labelRow = c.volumes.find((v) => v.role === 'label');
      const labelId = labelRow
        ? this.#volumes.registerProjectVolume({ dir: info.dir, row: labelRow, labels, ...(imageIds[0] ? { imageId: imageIds[0] } : {}) })
        : null;
      return {
        id: c.id,
        domain: c.domain,
        note: c.note,
        imageIds,
        labelId,
        modalities: images.map((v) => v.modality),
        splits: c.splits,
      };
    });
  }
}
