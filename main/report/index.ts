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
}

export async function writeReport(projectDir: string, runId: string, out: string, options: ReportOptions = {}): Promise<{ file: string; format: 'html' | 'pdf' }> {
  const lower = out.toLowerCase();
  const format = lower.endsWith('.pdf') ? 'pdf' : lower.endsWith('.html') || lower.endsWith('.htm') ? 'html' : undefined;
  if (!format) throw new InputError(out, 'the report file must end in .html or .pdf');
  let snapshotPng: Uint8Array | undefined;
  if (options.snapshot) {
    try {
      snapshotPng = new Uint8Array(await fs.readFile(options.snapshot));
    } catch {
      throw new InputError(options.snapshot, 'cannot read the snapshot image');
    }
    if (!(snapshotPng[0] === 0x89 && snapshotPng[1] === 0x50 && snapshotPng[2] === 0x4e && snapshotPng[3] === 0x47)) {
      throw new InputError(options.snapshot, 'the snapshot is not a PNG file');
    }
  }
  const data = await gatherReportData(projectDir, runId, options);
  const html = renderReportHtml(data, snapshotPng ? { snapshotPng } : {});
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
