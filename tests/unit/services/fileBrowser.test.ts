// fs.list through the engine: a folder's entries (folders first, sizes, hidden names only on request, symlinks
// followed, broken ones left out), truncation, and readable errors for relative, missing and non-folder paths.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../main/services/engine.ts';
import { listDirectory } from '../../../main/services/fileBrowser.ts';

let tmp: string;
let engine: Engine;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'segstation-fslist-'));
  mkdirSync(path.join(tmp, 'b-folder'));
  mkdirSync(path.join(tmp, 'a-folder'));
  writeFileSync(path.join(tmp, 'img10.nii.gz'), Buffer.alloc(10));
  writeFileSync(path.join(tmp, 'img2.nii.gz'), Buffer.alloc(2));
  writeFileSync(path.join(tmp, '.hidden'), 'x');
  symlinkSync(path.join(tmp, 'a-folder'), path.join(tmp, 'link-to-folder'));
  symlinkSync(path.join(tmp, 'missing-target'), path.join(tmp, 'broken-link'));
  engine = new Engine({ transport: 'direct', recentFile: path.join(tmp, 'recent.json') });
});

afterAll(() => {
  engine?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

describe('fs.list', () => {
  it('lists folders first, then files in natural name order, with sizes; hidden names and broken links left out', async () => {
    const listing = await engine.call('fs.list', { dir: tmp });
    expect(listing.dir).toBe(tmp);
    expect(listing.parent).toBe(path.dirname(tmp));
    expect(listing.truncated).toBe(false);
    expect(listing.entries).toEqual([
      { name: 'a-folder', isDir: true, size: 0 },
      { name: 'b-folder', isDir: true, size: 0 },
      { name: 'link-to-folder', isDir: true, size: 0 },
      { name: 'img2.nii.gz', isDir: false, size: 2 },
      { name: 'img10.nii.gz', isDir: false, size: 10 },
    ]);
  });

  it('shows hidden names on request and normalises the folder path', async () => {
    const listing = await engine.call('fs.list', { dir: `${tmp}/a-folder/..`, hidden: true });
    expect(listing.dir).toBe(tmp);
    expect(listing.entries.map((e) => e.name)).toContain('.hidden');
  });

  it('has no parent at the root', async () => {
    expect((await listDirectory('/')).parent).toBeNull();
  });

  it('says when it listed fewer entries than the folder holds', async () => {
    const listing = await listDirectory(tmp, { maxEntries: 2 });
    expect(listing.entries.map((e) => e.name)).toEqual(['a-folder', 'b-folder']);
    expect(listing.truncated).toBe(true);
  });

  it.each([
    ['a relative path', () => 'some/relative', /params\.dir: must be an absolute path/],
    ['a missing folder', () => path.join(tmp, 'nope'), /nope: no such folder/],
    ['a file', () => path.join(tmp, 'img2.nii.gz'), /img2\.nii\.gz: is not a folder/],
  ])('refuses %s with an input error naming it', async (_what, dir, message) => {
    const reply = await engine.dispatch({ id: 1, method: 'fs.list', params: { dir: dir() } });
    expect(reply).toMatchObject({ id: 1, error: { code: 'input_error', message: expect.stringMatching(message) } });
  });

  it.each([[{}], [{ dir: '' }], [{ dir: 3 }], [{ dir: '/tmp', recursive: true }]])('rejects malformed params %j', async (params) => {
    const reply = await engine.dispatch({ id: 2, method: 'fs.list', params });
    expect(reply).toMatchObject({ id: 2, error: { code: 'bad_request', field: expect.stringMatching(/^params/) } });
  });
});
