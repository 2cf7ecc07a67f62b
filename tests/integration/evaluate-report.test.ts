// Reports end to end: a project with a recorded run (config, metric history, model card, uncertainty) and one without,
// rendered to HTML and to PDF through the real binary; the PDF's pages are rasterised with poppler's pdftoppm and every
// figure must show something (pixel variance above its caption).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, promises as fs, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mutateCatalogue } from '../../main/dataset/catalogue.ts';
import { getCase, importCase, initProject } from '../../main/dataset/index.ts';
import '../../main/io/formats.ts';
import { readVolume, writeVolume } from '../../main/io/registry.ts';
import { createVolume, type Vec3, type Volume } from '../../main/volume/volume.ts';
import { runCli } from '../helpers/cli.ts';
import { decodePng, regionStd } from '../unit/report/decodePng.ts';

const shape: Vec3 = [40, 32, 24];
const spacing: Vec3 = [0.7, 0.7, 1.2];

function caseLabels(k: number): Volume {
  const data = new Uint8Array(shape[0] * shape[1] * shape[2]);
  for (let z = 0; z < shape[2]; z++) {
    for (let y = 0; y < shape[1]; y++) {
      for (let x = 0; x < shape[0]; x++) {
        const i = (z * shape[1] + y) * shape[0] + x;
        if ((x - 14 - k) ** 2 + (y - 15) ** 2 + ((z - 12) * 1.6) ** 2 <= 81) data[i] = 1;
        else if ((x - 29) ** 2 + (y - 17 - k) ** 2 + ((z - 11) * 1.6) ** 2 <= 36) data[i] = 2;
      }
    }
  }
  return createVolume({ shape, data, spacing });
}

function eroded(v: Volume): Volume {
  const [nx, ny] = shape;
  const data = Uint8Array.from(v.data);
  for (let i = 0; i < data.length; i++) {
    const x = i % nx, y = Math.floor(i / nx) % ny;
    if (v.data[i] && (x === 0 || y === 0 || v.data[i - 1] !== v.data[i] || v.data[i - nx] !== v.data[i])) data[i] = 0;
  }
  return createVolume({ ...v, dtype: 'uint8', data, labels: undefined, meta: undefined });
}

function hasPoppler(): boolean {
  try {
    execFileSync('pdftoppm', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('segstation report', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'segstation-report-'));
  const project = path.join(tmp, 'project');
  const run = 'run-a';
  const bare = 'run-b';

  beforeAll(async () => {
    await initProject(project);
    for (let k = 0; k < 2; k++) {
      const labels = caseLabels(k);
      const image = path.join(tmp, `img${k}.nii.gz`);
      const label = path.join(tmp, `lab${k}.nii.gz`);
      await writeVolume(createVolume({ ...labels, dtype: 'float32', data: Float32Array.from(labels.data, (v, i) => v * 60 + (i % 13)) }), image);
      await writeVolume(labels, label);
      await importCase(project, { image, label, caseId: `c${k}` });
      const stored = await readVolume(path.join(project, (await getCase(project, `c${k}`)).volumes.find((v) => v.role === 'label')!.storePath));
      for (const r of [run, bare]) {
        const folder = path.join(project, 'runs', r, 'predictions', `c${k}`);
        const pred = eroded(stored);
        await writeVolume(pred, path.join(folder, 'label.ome.zarr'));
        if (r === run) {
          const entropy = Float32Array.from(stored.data, (v, i) => (pred.data[i] !== v ? 0.9 : 0.05 + (i % 5) / 100));
          await writeVolume(createVolume({ ...stored, dtype: 'float32', data: entropy, labels: undefined, meta: undefined }), path.join(folder, 'entropy.ome.zarr'));
        }
      }
    }
    const runDir = path.join(project, 'runs', run);
    await fs.writeFile(path.join(runDir, 'model_card.json'), JSON.stringify({ name: 'unet3d-small', classNames: ['background', 'blob', 'ball'], input: { spacing } }));
    await fs.writeFile(path.join(runDir, 'model.onnx'), 'not really onnx, only hashed');
    await mutateCatalogue(project, 'test run', (db) => {
      const now = new Date().toISOString();
      db.run(
        "INSERT INTO runs (id, kind, fold, config, config_hash, dataset_hash, backend, seed, status, folder, created, updated) VALUES (?, 'train', 0, ?, 'cfg123', 'ds456', 'tfjs-cpu', 42, 'completed', ?, ?, ?)",
        [run, JSON.stringify({ epochs: 3, optimizer: { name: 'adamw', lr: 0.001 }, patch: [32, 32, 16] }), `runs/${run}`, now, now],
      );
      for (let step = 0; step <= 30; step += 5) {
        db.run('INSERT INTO run_metrics (run_id, epoch, step, name, value) VALUES (?, ?, ?, ?, ?)', [run, Math.floor(step / 10), step, 'loss', 1 / (1 + step / 5)]);
        db.run('INSERT INTO run_metrics (run_id, epoch, step, name, value) VALUES (?, ?, ?, ?, ?)', [run, Math.floor(step / 10), step, 'val_dice_blob', 0.5 + step / 80]);
      }
    });
  });

  it('writes a self-contained HTML report with every section', async () => {
    const out = path.join(tmp, 'report.html');
    const r = await runCli(['report', project, '--run', run, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const html = readFileSync(out, 'utf8');
    for (const id of ['dataset', 'model', 'curves', 'metrics', 'cases', 'slices', 'provenance']) expect(html).toContain(`<section id="${id}">`);
    for (const text of ['unet3d-small', 'adamw', 'Losses', 'val_dice_blob', '3D snapshot', 'Phase boundaries', 'entropy', 'cfg123', 'training seed']) expect(html).toContain(text);
    // nothing fetched from elsewhere: every src is a data URI, no stylesheet links
    expect([...html.matchAll(/src="([^"]*)"/g)].every((m) => m[1].startsWith('data:image/png;base64,'))).toBe(true);
    expect(html).not.toMatch(/<link|<script|url\(http/);
    const model = html.slice(html.indexOf('<section id="model">'), html.indexOf('<section id="curves">'));
    expect(model).not.toContain('not recorded');
  });

  it('says "not recorded" for a run without config, curves or model card', async () => {
    const out = path.join(tmp, 'bare.html');
    const r = await runCli(['report', project, '--run', bare, '--out', out]);
    expect(r.code).toBe(0);
    const html = readFileSync(out, 'utf8');
    const model = html.slice(html.indexOf('<section id="model">'), html.indexOf('<section id="curves">'));
    expect(model.match(/not recorded/g)).toHaveLength(3);
    const curves = html.slice(html.indexOf('<section id="curves">'), html.indexOf('<section id="metrics">'));
    expect(curves).toContain('not recorded');
    expect(html).toContain('Uncertainty: not recorded for this prediction.');
  });

  it.skipIf(!hasPoppler())('prints a PDF whose figures are not empty on any page', async () => {
    const out = path.join(tmp, 'report.pdf');
    const r = await runCli(['report', project, '--run', run, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const html = readFileSync(path.join(tmp, 'report.html'), 'utf8');
    const figures = (html.match(/<figure /g) ?? []).length;
    expect(figures).toBeGreaterThanOrEqual(5);

    // Caption positions (points, from the top of the page) from poppler's text layout.
    const layout = execFileSync('pdftotext', ['-bbox-layout', out, '-'], { encoding: 'utf8' });
    const pages = layout.split('<page ').slice(1);
    const captions: { page: number; y: number }[] = [];
    pages.forEach((page, p) => {
      const words = [...page.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">([^<]*)<\/word>/g)];
      words.forEach((w, i) => {
        if (w[3] === 'Figure' && /^\d+\.$/.test(words[i + 1]?.[3] ?? '')) captions.push({ page: p + 1, y: Number(w[2]) });
      });
    });
    expect(captions).toHaveLength(figures);

    const dpi = 50;
    const prefix = path.join(tmp, 'page');
    execFileSync('pdftoppm', ['-png', '-r', String(dpi), out, prefix]);
    const pngs = readdirSync(tmp).filter((f) => f.startsWith('page') && f.endsWith('.png')).sort();
    expect(pngs.length).toBe(pages.length);
    for (const c of captions) {
      const img = decodePng(new Uint8Array(readFileSync(path.join(tmp, pngs[c.page - 1]))));
      const scale = dpi / 72;
      // the 70 points above the caption belong to the figure; a blank area has std 0, a line chart on white ~12
      const std = regionStd(img, 0, (c.y - 72) * scale, img.width, (c.y - 2) * scale);
      expect(std, `figure on page ${c.page} at y=${c.y}pt`).toBeGreaterThan(5);
    }
  });

  it('refuses an unknown run and a bad output name', async () => {
    const missing = await runCli(['report', project, '--run', 'nope', '--out', path.join(tmp, 'x.html')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/run 'nope' has no predictions/);
    const ext = await runCli(['report', project, '--run', run, '--out', path.join(tmp, 'x.docx')]);
    expect(ext.code).toBe(2);
    expect(ext.stderr).toMatch(/must end in \.html or \.pdf/);
  });
});
