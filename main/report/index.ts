/**
 * Reports of a run: `writeReport(projectDir, runId, out)` writes a self-contained HTML file, or a PDF of it printed by
 * Chromium when `out` ends in .pdf. Sections: dataset, model card and training configuration, training curves,
 * metrics per class and per case, slice figures, 3D snapshot, phase boundaries, provenance.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic.ts';
import { InputError } from '../util/errors.ts';
import { renderReportHtml } from './html.ts';
import { printPdf } from './pdf.ts';
import { gatherReportData, type GatherOptions } from './reportData.ts';

export { renderReportHtml } from './html.ts';
export { gatherReportData, type ReportData } from './reportData.ts';
export { encodePng, pngDataUri, crc32, createRaster, type RasterImage } from './png.ts';
export { lineChartSvg } from './charts.ts';
export { printPdf, findChromium } from './pdf.ts';

export interface ReportOptions extends GatherOptions {
  /** PNG file captured by the viewer, shown as the 3D snapshot. */
  snapshot?: string;
  /** PNG files of slice views captured by the viewer, shown beside the computed slice figures. */
  slices?: { title: string; file: string }[];
}

/** Reads a PNG file the viewer captured; an unreadable file or one that is not a PNG is an InputError naming it. */
async function readViewerPng(file: string, what: string): Promise<Uint8Array> {
  let png: Uint8Array;
  try {
    png = new Uint8Array(await fs.readFile(file));
  } catch {
    throw new InputError(file, `cannot read the ${what} image`);
  }
  if (!(png[0] === 0x89 && png[1] === 0x50 && png[2] === 0x4e && png[3] === 0x47)) throw new InputError(file, `the ${what} is not a PNG file`);
  return png;
}

export async function writeReport(projectDir: string, runId: string, out: string, options: ReportOptions = {}): Promise<{ file: string; format: 'html' | 'pdf' }> {
  const lower = out.toLowerCase();
  const format = lower.endsWith('.pdf') ? 'pdf' : lower.endsWith('.html') || lower.endsWith('.htm') ? 'html' : undefined;
  if (!format) throw new InputError(out, 'the report file must end in .html or .pdf');
  const snapshotPng = options.snapshot ? await readViewerPng(options.snapshot, 'snapshot') : undefined;
  const viewerSlices: { title: string; png: Uint8Array }[] = [];
  for (const slice of options.slices ?? []) viewerSlices.push({ title: slice.title, png: await readViewerPng(slice.file, 'slice figure') });
  const data = await gatherReportData(projectDir, runId, options);
  const html = renderReportHtml(data, { ...(snapshotPng ? { snapshotPng } : {}), ...(viewerSlices.length ? { viewerSlices } : {}) });
  const target = path.resolve(out);
  if (format === 'html') {
    await writeFileAtomic(target, html);
    return { file: target, format };
  }
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-report-'));
  try {
    const htmlFile = path.join(tmp, 'report.html');
    await fs.writeFile(htmlFile, html);
    const pdfFile = path.join(tmp, 'report.pdf');
    await printPdf(htmlFile, pdfFile);
    await writeFileAtomic(target, new Uint8Array(await fs.readFile(pdfFile)));
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
  return { file: target, format };
}
