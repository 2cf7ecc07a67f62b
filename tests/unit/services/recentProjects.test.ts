import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_RECENT_PROJECTS, RecentProjects } from '../../../main/services/recentProjects.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'segstation-recent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('RecentProjects', () => {
  it('keeps the most recent first, once per folder, at most MAX_RECENT_PROJECTS', async () => {
    const recent = new RecentProjects(path.join(dir, 'a', 'recent.json'));
    expect(await recent.list()).toEqual([]);
    for (let i = 0; i < MAX_RECENT_PROJECTS + 3; i++) await recent.remember({ dir: `/p${i}`, name: `p${i}` }, new Date(Date.UTC(2026, 0, 1, 0, i)));
    await recent.remember({ dir: '/p5', name: 'p5' }, new Date(Date.UTC(2026, 0, 2)));
    const list = await recent.list();
    expect(list).toHaveLength(MAX_RECENT_PROJECTS);
    expect(list.slice(0, 3).map((p) => p.dir)).toEqual(['/p5', `/p${MAX_RECENT_PROJECTS + 2}`, `/p${MAX_RECENT_PROJECTS + 1}`]);
    expect(list.filter((p) => p.dir === '/p5')).toHaveLength(1);
    expect(list[0].lastOpened).toBe('2026-01-02T00:00:00.000Z');
    // Written through a temp file and a rename: no leftovers beside it.
    expect(readdirSync(path.join(dir, 'a'))).toEqual(['recent.json']);
  });

  it.each([['not JSON', '{oops'], ['wrong shape', '{"projects": [{"dir": 3}]}']])('treats a damaged file (%s) as empty and replaces it', async (_name, text) => {
    const file = path.join(dir, `${_name.replace(/\W/g, '')}.json`);
    writeFileSync(file, text);
    const recent = new RecentProjects(file);
    expect(await recent.list()).toEqual([]);
    await recent.remember({ dir: '/p', name: 'p' });
    expect((await recent.list()).map((p) => p.dir)).toEqual(['/p']);
  });
});
