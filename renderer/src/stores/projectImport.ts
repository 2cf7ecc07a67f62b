/**
 * The import step of the project workspace: the files of one case (picked in the file browser or dropped and
 * uploaded), their per-file validation (case.validate), and the import job (case.import) with progress and cancel.
 */
import { defineStore } from 'pinia';
import type { FileCheck } from '../../../ipc/contract.ts';
import { checkCaseForm, type FormIssues } from '../core/project/forms.ts';
import { caseFromFiles } from '../core/project/droppedFiles.ts';
import { uploadFile } from '../composables/projectUpload.ts';
import { getEngine } from '../data/engine.ts';
import { track } from '../data/activity.ts';
import { useJobsStore } from './jobs.ts';
import { useProjectStore } from './project.ts';
import { whenJobEnds } from './projectJobs.ts';
import { errorText } from './volumes.ts';

export interface UploadState {
  name: string;
  status: 'uploading' | 'done' | 'failed';
  path?: string;
  error?: string;
}

/** Problems of failed checks as one line each: 'file: problem'. */
export function validationMessage(files: readonly FileCheck[]): string {
  return files
    .filter((f) => !f.ok)
    .map((f) => `${f.path} (${f.role}): ${f.problem ?? 'cannot be imported'}`)
    .join('\n');
}

export const useProjectImportStore = defineStore('projectImport', {
  state: () => ({
    /** The project the form belongs to: another project starts an empty form. */
    projectDir: null as string | null,
    images: [] as string[],
    label: '',
    caseId: '',
    domain: '',
    issues: {} as FormIssues,
    /** The last validation of exactly the files in the form (cleared when they change). */
    checks: null as { ok: boolean; files: FileCheck[] } | null,
    validating: false,
    uploads: [] as UploadState[],
    jobId: null as string | null,
    /** What the last finished import said ('imported case x' or why it failed). */
    outcome: null as string | null,
    error: null as string | null,
  }),
  actions: {
    clearResults(): void {
      this.checks = null;
      this.jobId = null;
      this.error = null;
      this.outcome = null;
    },
    addImage(path: string): void {
      if (!this.images.includes(path)) this.images.push(path);
      this.clearResults();
    },
    removeImage(index: number): void {
      this.images.splice(index, 1);
      this.clearResults();
    },
    setLabel(path: string): void {
      this.label = path;
      this.clearResults();
    },
    reset(): void {
      this.images = [];
      this.label = '';
      this.caseId = '';
      this.issues = {};
      this.uploads = [];
      this.clearResults();
    },
    /** Checks the form, then every file on the engine; true when all pass. */
    async validate(): Promise<boolean> {
      this.clearResults();
      this.issues = checkCaseForm({ images: this.images, label: this.label, caseId: this.caseId, domain: this.domain });
      if (Object.keys(this.issues).length > 0) {
        this.error = Object.entries(this.issues).map(([field, problem]) => `${field}: ${problem}`).join('\n');
        return false;
      }
      this.validating = true;
      try {
        const label = this.label.trim();
        this.checks = await track(getEngine().request('case.validate', { image: this.images, ...(label ? { label } : {}) }));
        if (!this.checks.ok) this.error = validationMessage(this.checks.files);
        return this.checks.ok;
      } catch (error) {
        this.error = errorText(error);
        return false;
      } finally {
        this.validating = false;
      }
    },
    /** Validates and imports as a job; the case table refreshes when it ends. */
    async importCase(): Promise<void> {
      const project = useProjectStore();
      if (!project.project) {
        this.error = 'no project is open: create or open one first';
        return;
      }
      if (!(await this.validate())) return;
      try {
        const label = this.label.trim();
        const reply = await getEngine().request('case.import', {
          projectDir: project.project.dir,
          image: this.images,
          ...(label ? { label } : {}),
          ...(this.caseId.trim() ? { caseId: this.caseId.trim() } : {}),
          ...(this.domain.trim() ? { domain: this.domain.trim() } : {}),
        });
        this.checks = { ok: reply.ok, files: reply.files };
        if (!reply.job) {
          this.error = validationMessage(reply.files) || 'the engine did not start the import';
          return;
        }
        useJobsStore().upsert(reply.job);
        this.jobId = reply.job.jobId;
        const ended = await whenJobEnds(reply.job.jobId);
        if (ended.status === 'completed') {
          const result = ended.result as { caseId?: string } | undefined;
          this.outcome = `imported case ${result?.caseId ?? ''}`.trim();
          this.checks = null;
          this.images = [];
          this.label = '';
          this.caseId = '';
          this.uploads = [];
        } else if (ended.status === 'failed') {
          this.error = `import failed: ${ended.error ?? 'unknown error'}`;
        } else {
          this.outcome = 'import cancelled; the project is unchanged';
        }
        await project.refresh();
      } catch (error) {
        this.error = errorText(error);
      }
    },
    async cancelImport(): Promise<void> {
      if (this.jobId) await useJobsStore().cancel(this.jobId);
    },
    /**
     * Files dropped on the page (or chosen in the drop zone's file input): sorted into one case's images and label,
     * uploaded to the engine, put in the form and validated.
     */
    async addDropped(files: readonly File[]): Promise<void> {
      this.clearResults();
      const sorted = caseFromFiles(files);
      if (sorted.problem) {
        this.error = `dropped files: ${sorted.problem}`;
        return;
      }
      this.uploads = files.map((f) => ({ name: f.name, status: 'uploading' }));
      const paths = new Map<File, string>();
      const failures: string[] = [];
      await Promise.all(
        files.map(async (file, i) => {
          try {
            const result = await track(uploadFile(file));
            paths.set(file, result.path);
            this.uploads[i] = { name: file.name, status: 'done', path: result.path };
          } catch (error) {
            failures.push(errorText(error));
            this.uploads[i] = { name: file.name, status: 'failed', error: errorText(error) };
          }
        }),
      );
      if (failures.length > 0) {
        this.error = failures.join('\n');
        return;
      }
      this.images = sorted.images.map((f) => paths.get(f)!);
      this.label = sorted.label ? paths.get(sorted.label)! : '';
      this.caseId = sorted.caseId;
      await this.validate();
    },
  },
});
