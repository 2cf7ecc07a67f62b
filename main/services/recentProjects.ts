/** The list of recently opened projects, kept in a small JSON file (written atomically), most recent first. */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { RecentProjectSchema, type RecentProject } from '../../ipc/contract.ts';
import { writeFileAtomic } from '../util/atomic.ts';

export const MAX_RECENT_PROJECTS = 12;

/** `$SEGSTATION_CONFIG_DIR`, else the platform's per-user config folder, + segstation/recent-projects.json. */
export function defaultRecentFile(): string {
  const base =
    process.env.SEGSTATION_CONFIG_DIR ??
    (process.platform === 'win32'
      ? (process.env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'))
      : process.platform === 'darwin'
        ? path.join(os.homedir(), 'Library', 'Application Support')
        : (process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config')));
  return path.join(base, 'segstation', 'recent-projects.json');
}

const FileSchema = z.object({ projects: z.array(RecentProjectSchema) });

export class RecentProjects {
  readonly file: string;

  constructor(file: string = defaultRecentFile()) {
    this.file = file;
  }

  /** An unreadable or damaged file counts as an empty list: losing the recent list must never block opening a project. */
  async list(): Promise<RecentProject[]> {
    try {
      const parsed = FileSchema.safeParse(JSON.parse(await fs.readFile(this.file, 'utf8')));
      return parsed.success ? parsed.data.projects : [];
    } catch {
      return [];
    }
  }

  async remember(entry: { dir: string; name: string }, now: Date = new Date()): Promise<RecentProject[]> {
    const others = (await this.list()).filter((p) => p.dir !== entry.dir);
    const projects = [{ dir: entry.dir, name: entry.name, lastOpened: now.toISOString() }, ...others].slice(0, MAX_RECENT_PROJECTS);
    await writeFileAtomic(this.file, `${JSON.stringify({ projects }, null, 2)}\n`);
    return projects;
  }
}
