import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addDomain,
  CATALOGUE_FILE,
  initProject,
  listClasses,
  listDomains,
  LOCK_FILE,
  openProject,
  SCHEMA_VERSION,
  setClass,
} from '../../../main/dataset/index.ts';
import { newDatabase } from '../../../main/dataset/catalogue.ts';
import { ProjectInfoSchema } from '../../../main/dataset/types.ts';
import { expectInputError, tempDir } from './helpers.ts';

let tmp: string;
let counter = 0;
const fresh = () => path.join(tmp, `p${++counter}`);

beforeAll(async () => {
  tmp = await tempDir('project');
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('initProject / openProject', () => {
  it('creates the layout and describes the project', async () => {
    const dir = fresh();
    const info = await initProject(dir, { name: 'Electrodes 2024' });
    expect(ProjectInfoSchema.parse(info)).toEqual(info);
    expect(info).toMatchObject({ dir: path.resolve(dir), name: 'Electrodes 2024', schemaVersion: SCHEMA_VERSION });
    expect(info.appVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect((await fs.readdir(dir)).sort()).toEqual([CATALOGUE_FILE, 'reports', 'runs', 'volumes']);
    expect(await openProject(dir)).toEqual(info);
    expect(await listClasses(dir)).toEqual([{ value: 0, name: 'background', color: [0, 0, 0], description: 'no class' }]);
    expect((await listDomains(dir)).map((d) => d.name)).toEqual(['default']);
  });

  it('names the project after its folder by default and accepts an existing empty folder', async () => {
    const dir = fresh();
    await fs.mkdir(dir);
    expect((await initProject(dir)).name).toBe(path.basename(dir));
  });

  it('refuses an existing project', async () => {
    const dir = fresh();
    await initProject(dir);
    const error = await expectInputError(initProject(dir));
    expect(error.message).toContain('already a Segstation project');
    expect(error.subject).toBe(path.resolve(dir));
  });

  it.each([
    ['a file', async (dir: string) => fs.writeFile(path.join(dir, 'notes.txt'), 'x')],
    ['a folder', async (dir: string) => fs.mkdir(path.join(dir, 'data'))],
    ['a non-empty volumes folder', async (dir: string) => fs.mkdir(path.join(dir, 'volumes', 'x'), { recursive: true })],
  ])('refuses a non-empty folder that holds %s', async (_what, fill) => {
    const dir = fresh();
    await fs.mkdir(dir);
    await fill(dir);
    const error = await expectInputError(initProject(dir));
    expect(error.message).toMatch(/not empty and is not a Segstation project/);
    expect(await fs.readdir(dir)).not.toContain(CATALOGUE_FILE);
  });

  it('refuses a path that is a file', async () => {
    const file = path.join(tmp, 'plain-file');
    await fs.writeFile(file, 'x');
    expect((await expectInputError(initProject(file))).message).toMatch(/not a folder/);
  });

  it('openProject refuses a missing folder and a folder that is not a project', async () => {
    expect((await expectInputError(openProject(path.join(tmp, 'nope')))).message).toMatch(/no such folder/);
    const dir = fresh();
    await fs.mkdir(dir);
    expect((await expectInputError(openProject(dir))).message).toMatch(/not a Segstation project/);
  });

  it.each([
    ['garbage bytes', async () => new TextEncoder().encode('this is not a database at all, just text'.repeat(50))],
    ['an empty file', async () => new Uint8Array(0)],
    [
      'a truncated catalogue',
      async () => {
        const donor = fresh();
        await initProject(donor);
        const bytes = await fs.readFile(path.join(donor, CATALOGUE_FILE));
        return bytes.subarray(0, 1500);
      },
    ],
    [
      'an SQLite file of another application',
      async () => {
        const db = await newDatabase();
        db.run('CREATE TABLE t (x); PRAGMA user_version = 1');
        const bytes = db.export();
        db.close();
        return bytes;
      },
    ],
  ])('a corrupt catalogue (%s) gives an InputError naming the file', async (_what, make) => {
    const dir = fresh();
    await initProject(dir);
    const file = path.join(path.resolve(dir), CATALOGUE_FILE);
    await fs.writeFile(file, await make());
    for (const call of [() => openProject(dir), () => listClasses(dir), () => setClass(dir, { value: 1, name: 'x' })]) {
      const error = await expectInputError(call());
      expect(error.subject).toBe(file);
      expect(error.message).toMatch(/catalogue is corrupt/);
    }
  });

  it('refuses a catalogue from a newer Segstation', async () => {
    const dir = fresh();
    await initProject(dir);
    const file = path.join(path.resolve(dir), CATALOGUE_FILE);
    const db = await newDatabase(await fs.readFile(file));
    db.run(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    await fs.writeFile(file, db.export());
    db.close();
    const error = await expectInputError(openProject(dir));
    expect(error.subject).toBe(file);
    expect(error.message).toMatch(/newer than this Segstation supports/);
  });
});

describe('classes and domains', () => {
  it('setClass creates and edits, keeping what is not given; survives reopen', async () => {
    const dir = fresh();
    await initProject(dir);
    expect(await setClass(dir, { value: 3, name: 'pore' })).toEqual({ value: 3, name: 'pore', color: [0, 0, 255], description: '' });
    await setClass(dir, { value: 3, name: 'pore space', color: [1, 2, 3], description: 'void' });
    await setClass(dir, { value: 3, name: 'pore' });
    await setClass(dir, { value: 0, name: 'air' });
    expect(await listClasses(dir)).toEqual([
      { value: 0, name: 'air', color: [0, 0, 0], description: 'no class' },
      { value: 3, name: 'pore', color: [1, 2, 3], description: 'void' },
    ]);
  });

  it.each([
    [{ value: -1, name: 'x' }, 'class.value'],
    [{ value: 1.5, name: 'x' }, 'class.value'],
    [{ value: 1, name: '  ' }, 'class.name'],
    [{ value: 1, name: 'x', color: [0, 0, 256] as [number, number, number] }, 'class.color.2'],
  ])('setClass refuses %j', async (options, subject) => {
    const dir = fresh();
    await initProject(dir);
    expect((await expectInputError(setClass(dir, options))).subject).toBe(subject);
  });

  it('addDomain adds, refuses duplicates (case-insensitively) and bad hints', async () => {
    const dir = fresh();
    await initProject(dir);
    const added = await addDomain(dir, { name: 'Scanner A', description: 'Zeiss Xradia', normalization: 'zscore' });
    expect(added).toMatchObject({ name: 'Scanner A', description: 'Zeiss Xradia', normalization: 'zscore' });
    await addDomain(dir, { name: 'batch-7' });
    expect((await listDomains(dir)).map((d) => [d.name, d.normalization])).toEqual([
      ['Scanner A', 'zscore'],
      ['batch-7', 'auto'],
      ['default', 'auto'],
    ]);
    expect((await expectInputError(addDomain(dir, { name: 'scanner a' }))).message).toMatch(/already exists/);
    const bad = await expectInputError(addDomain(dir, { name: 'x', normalization: 'magic' as 'none' }));
    expect(bad.subject).toBe('domain.normalization');
  });
});

describe('project lock', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill();
  });

  async function liveProcess(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    children.push(child);
    await new Promise((resolve) => child.once('spawn', resolve));
    return child;
  }

  function lockText(pid: number, host = os.hostname()): string {
    return JSON.stringify({ pid, host, operation: 'import case x', since: '2024-01-01T00:00:00.000Z', token: 'abc' });
  }

  it('a lock held by a running process blocks mutations with a clear error, reads still work', async () => {
    const dir = fresh();
    await initProject(dir);
    const child = await liveProcess();
    const lock = path.join(path.resolve(dir), LOCK_FILE);
    await fs.writeFile(lock, lockText(child.pid as number));
    const error = await expectInputError(setClass(dir, { value: 1, name: 'x' }));
    expect(error.subject).toBe(lock);
    expect(error.message).toContain(`locked by process ${child.pid} (import case x`);
    expect(error.message).toMatch(/wait for it to finish/);
    await expectInputError(addDomain(dir, { name: 'y' }));
    expect(await listClasses(dir)).toHaveLength(1);
    expect(await fs.readFile(lock, 'utf8')).toBe(lockText(child.pid as number));

    // Once that process is gone the lock is stale and is taken over.
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill();
    await exited;
    await setClass(dir, { value: 1, name: 'x' });
    expect((await listClasses(dir)).map((c) => c.name)).toEqual(['background', 'x']);
    await expect(fs.access(lock)).rejects.toThrow();
  });

  it('a mutation in another process holds the lock: this one is refused until it ends', async () => {
    const dir = fresh();
    await initProject(dir);
    const lockModule = path.resolve('main/dataset/lock.ts');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { acquireLock } = await import(${JSON.stringify(lockModule)});
         const release = await acquireLock(${JSON.stringify(path.resolve(dir))}, 'child mutation');
         process.stdout.write('locked\\n');
         process.stdin.resume();
         process.stdin.on('end', async () => { await release(); process.exit(0); });`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('locked')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    const error = await expectInputError(setClass(dir, { value: 1, name: 'x' }));
    expect(error.message).toContain(`locked by process ${child.pid} (child mutation`);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin?.end();
    expect(await exited).toBe(0);
    await setClass(dir, { value: 1, name: 'x' });
    expect((await listClasses(dir)).map((c) => c.name)).toEqual(['background', 'x']);
  });

  it('a lock from another machine is never presumed stale', async () => {
    const dir = fresh();
    await initProject(dir);
    await fs.writeFile(path.join(dir, LOCK_FILE), lockText(999_999_999, 'another-host.example'));
    const error = await expectInputError(setClass(dir, { value: 1, name: 'x' }));
    expect(error.message).toContain('on another-host.example');
  });

  it('concurrent mutations in one process do not interleave: the others are refused', async () => {
    const dir = fresh();
    await initProject(dir);
    const results = await Promise.allSettled([
      addDomain(dir, { name: 'a' }),
      addDomain(dir, { name: 'b' }),
      addDomain(dir, { name: 'c' }),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const f of failed) expect(String(f.reason)).toMatch(/project is locked/);
    expect((await listDomains(dir)).length).toBe(1 + ok.length);
    await expect(fs.access(path.join(dir, LOCK_FILE))).rejects.toThrow();
  });
});
