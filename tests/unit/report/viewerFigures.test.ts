// Figures captured in the viewer in the report: the 3D snapshot and slice views from report.export's inline PNGs (web
// mode) through the engine's report job, and writeReport's checks on the PNG files it is given.
import { existsSync, mkdtempSync, promises as fs, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../../main/io/formats.ts';
import { getCase, importCase, initProject } from '../../../main/dataset/index.ts';
import { readVolume, writeVolume } from '../../../main/io/registry.ts';
import { createRaster, encodePng } from '../../../main/report/png.ts';
import { writeReport } from '../../../main/report/index.ts';
import { Engine } from '../../../main/services/engine.ts';
import { createVolume, type Vec3 } from '../../../main/volume/volume.ts';
import { decodePng } from './decodePng.ts';

const shape: Vec3 = [16, 14, 6];
let tmp: string;
let project: string;
const run = 'run-v';

/** A small PNG of one colour. */
function solidPng(rgb: [number, number, number], width = 8, height = 6): Uint8Array {
  const img = createRaster(width, height, 3);
  for (let i = 0; i < width * height; i++) img.pixels.set(rgb, i * 3);
  return encodePng(img);
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'segstation-viewerfig-'));
  project = path.join(tmp, 'project');
  await initProject(project);
  const data = new Uint8Array(shape[0] * shape[1] * shape[2]);
  for (let i = 0; i < data.length; i++) data[i] = i % shape[0] < 8 ? 1 : 0;
  const labels = createVolume({ shape, data });
  await writeVolume(createVolume({ shape, data: Float32Array.from(data, (v) => v * 100) }), path.join(tmp, 'img.nii.gz'));
  await writeVolume(labels, path.join(tmp, 'lab.nii.gz'));
  await importCase(project, { image: path.join(tmp, 'img.nii.gz'), label: path.join(tmp, 'lab.nii.gz'), caseId: 'c0' });
  const stored = await readVolume(path.join(project, (await getCase(project, 'c0')).volumes.find((v) => v.role === 'label')!.storePath));
  await writeVolume(stored, path.join(project, 'runs', run, 'predictions', 'c0', 'label.ome.zarr'));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

const imgSources = (html: string) => [...html.matchAll(/<img alt="([^"]*)" src="data:image\/png;base64,([^"]+)"/g)].map((m) => ({ alt: m[1], png: Buffer.from(m[2], 'base64') }));

describe('writeReport with viewer figures', () => {
  it('shows the slice views under their titles, after the computed figures', async () => {
    const axial = path.join(tmp, 'axial.png');
    const coronal = path.join(tmp, 'coronal.png');
    await fs.writeFile(axial, solidPng([255, 0, 0]));
    await fs.writeFile(coronal, solidPng([0, 0, 255]));
    const out = path.join(tmp, 'with-slices.html');
    await writeReport(project, run, out, { slices: [{ title: 'axial <z 3>', file: axial }, { title: 'coronal', file: coronal }] });
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('Slice views captured in the viewer');
    const images = imgSources(html);
    const titled = images.filter((i) => i.alt === 'axial &lt;z 3&gt;' || i.alt === 'coronal');
    expect(titled).toHaveLength(2);
    expect(Array.from(decodePng(titled[0].png).pixels.subarray(0, 3))).toEqual([255, 0, 0]);
    expect(Array.from(decodePng(titled[1].png).pixels.subarray(0, 3))).toEqual([0, 0, 255]);
    // after the computed figures of the case, inside the slices section
    const slices = html.slice(html.indexOf('<section id="slices">'), html.indexOf('<section id="provenance">'));
    expect(slices.indexOf('Phase boundaries')).toBeLessThan(slices.indexOf('Slice views captured in the viewer'));
  });

  it('without viewer slices the section has no such figure', async () => {
    const out = path.join(tmp, 'plain.html');
    await writeReport(project, run, out);
    expect(readFileSync(out, 'utf8')).not.toContain('Slice views captured in the viewer');
  });

  it.each([
    ['a file that is not a PNG', 'not-png.png', 'hello', /not a PNG/],
    ['a missing file', 'missing.png', null, /cannot read/],
  ])('refuses %s, naming it', async (_, name, content, message) => {
    const file = path.join(tmp, name);
    if (content !== null) await fs.writeFile(file, content);
    const out = path.join(tmp, 'refused.html');
    await expect(writeReport(project, run, out, { slices: [{ title: 't', file }] })).rejects.toMatchObject({ subject: file, message: expect.stringMatching(message) });
    expect(existsSync(out)).toBe(false);
  });
});

describe('report.export with inline figures (engine)', () => {
  let engine: Engine;
  beforeAll(() => {
    engine = new Engine({ transport: 'direct', recentFile: path.join(tmp, 'recent.json') });
  });
  afterAll(() => engine.dispose());

  it('refuses inline bytes that are not a PNG, naming the figure', async () => {
    const reply = await engine.dispatch({
      id: 1,
      method: 'report.export',
      params: { projectDir: project, runId: run, out: path.join(tmp, 'x.html'), slicePngs: [{ title: 'a', png: Buffer.from(solidPng([1, 2, 3])).toString('base64') }, { title: 'b', png: Buffer.from('GIF89a').toString('base64') }] },
    });
    expect(reply).toMatchObject({ error: { code: 'input_error', field: 'params.slicePngs.1.png' } });
  });

  it('writes the snapshot and slice figures into the report and removes its temporary files', async () => {
    const out = path.join(tmp, 'engine.html');
    const before = new Set((await fs.readdir(os.tmpdir())).filter((f) => f.startsWith('segstation-snapshot-')));
    const finished = new Promise<{ status: string; error?: string }>((resolve) => {
      const off = engine.onEvent((e) => {
        if (e.event === 'job.finished' && e.payload.kind === 'report') {
          off();
          resolve(e.payload);
        }
      });
    });
    const job = await engine.call('report.export', {
      projectDir: project,
      runId: run,
      out,
      snapshotPng: Buffer.from(solidPng([0, 200, 0], 20, 10)).toString('base64'),
      slicePngs: [{ title: 'axial', png: Buffer.from(solidPng([200, 0, 0])).toString('base64') }],
    });
    expect(job.kind).toBe('report');
    expect(await finished).toMatchObject({ status: 'completed' });
    const images = imgSources(readFileSync(out, 'utf8'));
    const snapshot = images.find((i) => i.alt === 'viewer snapshot');
    expect(snapshot && decodePng(snapshot.png).width).toBe(20);
    expect(images.find((i) => i.alt === 'axial')).toBeDefined();
    await new Promise((r) => setTimeout(r, 200));
    const after = (await fs.readdir(os.tmpdir())).filter((f) => f.startsWith('segstation-snapshot-') && !before.has(f));
    expect(after).toEqual([]);
  }, 60_000);
});
