/**
 * The report as one self-contained HTML page: inline CSS, figures as PNG data URIs (png.ts) and inline SVG charts
 * (charts.ts); nothing is fetched, so the file can be mailed, archived or printed to PDF as it is.
 */
import { lineChartSvg, escapeXml as esc, type Series } from './charts.ts';
import { boundarySlice, busiestSlice, depthProjection, errorSlice, ERROR_COLORS, heatSlice, labelSlice, type Palette } from './figures.ts';
import { pngDataUri, type RasterImage } from './png.ts';
import { classColor, type ReportData } from './reportData.ts';

export interface HtmlOptions {
  /** A PNG captured by the viewer, used as the 3D snapshot instead of the computed depth projection. */
  snapshotPng?: Uint8Array;
  /** Slice views captured in the viewer (its window/level and label overlay), shown after the computed figures. */
  viewerSlices?: { title: string; png: Uint8Array }[];
}

const NOT_RECORDED = '<p class="missing">not recorded</p>';

const CSS = `
@page { size: A4; margin: 14mm; }
body { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 10pt; color: #222; margin: 0 auto; max-width: 180mm; }
h1 { font-size: 18pt; margin: 0 0 2mm; }
h2 { font-size: 13pt; border-bottom: 1px solid #999; margin: 6mm 0 2mm; padding-bottom: 1mm; break-after: avoid; page-break-after: avoid; }
h3 { break-after: avoid; page-break-after: avoid; }
h3 { font-size: 11pt; margin: 3mm 0 1mm; }
.subtitle { color: #555; margin-bottom: 4mm; }
table { border-collapse: collapse; margin: 2mm 0; font-size: 8.5pt; }
th, td { border: 1px solid #ccc; padding: 1mm 2mm; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.swatch { display: inline-block; width: 10px; height: 10px; border: 1px solid #555; vertical-align: middle; margin-right: 4px; }
.missing { color: #888; font-style: italic; }
figure { margin: 3mm 0; break-inside: avoid; page-break-inside: avoid; }
figure .panels { display: flex; flex-wrap: wrap; gap: 3mm; }
figure .panel { text-align: center; font-size: 8pt; color: #444; }
figure img, figure svg { display: block; max-width: 100%; }
figure .panel img { width: 40mm; image-rendering: pixelated; }
figure.wide .panel img { width: 80mm; }
figcaption { font-size: 8.5pt; color: #333; margin-top: 1.5mm; }
section { break-inside: auto; }
.legend span { margin-right: 4mm; }
code { font-size: 8pt; word-break: break-all; }
`;

function fmt(v: number, digits = 4): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (Number.isInteger(v)) return String(v);
  return String(+v.toPrecision(digits));
}

function table(header: string[], rows: string[][], numeric: boolean[] = []): string {
  return `<table><thead><tr>${header.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** Nested JSON as "a.b.c: value" rows. */
function flatten(value: unknown, prefix = '', out: [string, string][] = []): [string, string][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.push([prefix || '(value)', typeof value === 'string' ? value : JSON.stringify(value)]);
  }
  return out;
}

/**
 * A model card with its network graph summarised (op counts, weight tensors, parameters): the full graph is hundreds
 * of nodes, useful to rebuild the model but not to read.
 */
function summariseNetwork(card: unknown): unknown {
  if (typeof card !== 'object' || card === null) return card;
  const network = (card as { network?: unknown }).network;
  if (typeof network !== 'object' || network === null) return card;
  const { nodes, weights, ...rest } = network as { nodes?: { op?: string }[]; weights?: { shape?: number[]; trainable?: boolean }[] };
  if (!Array.isArray(nodes) || !Array.isArray(weights)) return card;
  const ops: Record<string, number> = {};
  for (const n of nodes) ops[n.op ?? '?'] = (ops[n.op ?? '?'] ?? 0) + 1;
  const size = (w: { shape?: number[] }) => (w.shape ?? []).reduce((a, b) => a * b, 1);
  const summary = {
    ...rest,
    ops: Object.entries(ops).map(([op, n]) => `${op} ×${n}`).join(', '),
    weightTensors: weights.length,
    trainableParameters: weights.filter((w) => w.trainable !== false).reduce((a, w) => a + size(w), 0),
  };
  return { ...(card as object), network: summary };
}

function keyValueTable(value: unknown): string {
  return table(['field', 'value'], flatten(value).map(([k, v]) => [esc(k), esc(v)]));
}

type FigureFn = (panels: { image: RasterImage | string; label: string }[], caption: string, wide?: boolean) => string;

/** Numbers figures in order of appearance; captions start with "Figure N." (the PDF test finds figures by them). */
function figureMaker(): FigureFn {
  let figureCount = 0;
  return (panels, caption, wide = false) => {
    figureCount++;
    const inner = panels
      .map((p) => `<div class="panel">${typeof p.image === 'string' ? p.image : `<img alt="${esc(p.label)}" src="${pngDataUri(p.image)}">`}<div>${esc(p.label)}</div></div>`)
      .join('');
    return `<figure class="fig${wide ? ' wide' : ''}" data-figure="${figureCount}"><div class="panels">${inner}</div><figcaption>Figure ${figureCount}. ${caption}</figcaption></figure>`;
  };
}

const SUMMARY_METRICS = ['dice', 'iou', 'precision', 'recall', 'volume_similarity', 'hd95', 'assd', 'surface_dice', 'boundary_iou', 'slice_change_ratio', 'ece', 'brier'];
const CASE_METRICS = ['dice', 'iou', 'hd95', 'assd', 'surface_dice', 'boundary_iou'];

export function renderReportHtml(data: ReportData, options: HtmlOptions = {}): string {
  const figure = figureMaker();
  const className = (v: number) => (v === -1 ? 'all classes' : (data.dataset.classes.find((c) => c.value === v)?.name ?? `class ${v}`));
  const palette: Palette = (v) => classColor(data.dataset.classes, v);
  const parts: string[] = [];
  parts.push(`<h1>Segmentation report — run ${esc(data.run.id)}</h1>`);
  parts.push(`<div class="subtitle">Project ${esc(data.project.name)} · generated ${esc(data.generated)} by Segstation ${esc(data.appVersion)}</div>`);

  // Dataset
  const d = data.dataset;
  parts.push('<section id="dataset"><h2>Dataset</h2>');
  parts.push(table(['cases', 'labelled', 'domains', 'split'], [[String(d.cases), String(d.labelled), esc(d.domains.map((x) => `${x.name} (${x.cases})`).join(', ')), d.split ? `${d.split.folds} folds, seed ${d.split.seed}, test fraction ${d.split.testFraction}` : '<span class="missing">not recorded</span>']]));
  parts.push(table(['value', 'class', 'labelled voxels'], d.classes.map((c) => [String(c.value), `<span class="swatch" style="background: rgb(${c.color.join(',')})"></span>${esc(c.name)}`, String(c.voxels)]), [true, false, true]));
  parts.push('</section>');

  // Model card and training configuration
  parts.push('<section id="model"><h2>Model card and training configuration</h2><h3>Model card</h3>');
  parts.push(data.modelCard ? `<p>From <code>${esc(data.modelCard.file)}</code></p>${keyValueTable(summariseNetwork(data.modelCard.content))}` : NOT_RECORDED);
  parts.push('<h3>Run</h3>');
  const r = data.run.row;
  parts.push(r ? table(['kind', 'fold', 'backend', 'seed', 'status', 'created', 'updated'], [[r.kind, r.fold === null ? '–' : String(r.fold), esc(r.backend), String(r.seed), r.status, r.created, r.updated]]) : NOT_RECORDED);
  parts.push('<h3>Training configuration</h3>');
  parts.push(data.run.config !== undefined ? keyValueTable(data.run.config) : NOT_RECORDED);
  parts.push('</section>');

  // Training curves
  parts.push('<section id="curves"><h2>Training curves</h2>');
  if (data.curves.size === 0) parts.push(NOT_RECORDED);
  else {
    const groups = new Map<string, Series[]>();
    for (const [name, points] of data.curves) {
      // One chart per scale: losses, lr, validation scores (0..1), and throughput/memory, which would flatten the rest.
      const group = /loss/i.test(name)
        ? 'Losses'
        : /^lr$|learning.?rate/i.test(name)
          ? 'Learning rate'
          : /^val|dice|iou/i.test(name)
            ? 'Validation metrics'
            : 'Throughput and memory';
      const list = groups.get(group) ?? [];
      list.push({ name, points: points.map((p) => ({ x: p.step, y: p.value })) });
      groups.set(group, list);
    }
    for (const [group, series] of groups) {
      parts.push(figure([{ image: lineChartSvg(series, { title: group, xLabel: 'step', yLabel: group === 'Losses' ? 'loss' : 'value' }), label: '' }], `${esc(group)} over training steps (run_metrics).`));
    }
  }
  parts.push('</section>');

  // Metrics per class (cohort)
  const ev = data.evaluation;
  const cases = [...new Set(ev.rows.map((x) => x.caseId))].sort();
  parts.push(`<section id="metrics"><h2>Metrics per class</h2><p>Evaluation <code>${esc(ev.id)}</code> of ${cases.length} case(s), ${esc(ev.created)}. Mean ± sample std, median and 95% bootstrap CI of the mean (seed ${ev.seed}) over cases with a finite value; distances in the volumes' unit (mm). Conventions: MONAI's (border = mask XOR cross-eroded mask, exact EDT with spacing, HD95 = max of the directed 95th percentiles).</p>`);
  const classesInEval = [...new Set(ev.summary.map((s) => s.cls))].sort((a, b) => a - b);
  for (const cls of classesInEval) {
    const rows = SUMMARY_METRICS.map((m) => ev.summary.find((s) => s.cls === cls && s.metric === m))
      .filter((s) => s !== undefined)
      .map((s) => [s.metric, `${fmt(s.mean)} ± ${fmt(s.std)}`, fmt(s.median), `[${fmt(s.ciLow)}, ${fmt(s.ciHigh)}]`, `${s.n}${s.nan ? ` (+${s.nan} NaN)` : ''}${s.infinite ? ` (+${s.infinite} ∞)` : ''}`]);
    parts.push(`<h3>${esc(className(cls))}${cls >= 0 ? ` (${cls})` : ''}</h3>`);
    parts.push(table(['metric', 'mean ± std', 'median', '95% CI', 'n'], rows, [false, true, true, true, true]));
  }
  parts.push('</section>');

  // Metrics per case
  parts.push('<section id="cases"><h2>Metrics per case</h2>');
  const caseRows: string[][] = [];
  for (const c of cases) {
    for (const cls of classesInEval.filter((k) => k >= 0)) {
      const value = (m: string) => ev.rows.find((x) => x.caseId === c && x.cls === cls && x.metric === m)?.value;
      if (value('dice') === undefined && value('hd95') === undefined) continue;
      caseRows.push([esc(c), esc(className(cls)), ...CASE_METRICS.map((m) => fmt(value(m) ?? NaN))]);
    }
  }
  parts.push(table(['case', 'class', ...CASE_METRICS], caseRows, [false, false, ...CASE_METRICS.map(() => true)]));
  parts.push('</section>');

  // Figures of one case
  const f = data.figures;
  parts.push('<section id="slices"><h2>Slice figures</h2>');
  const viewerImg = (png: Uint8Array, alt: string) => `<img alt="${esc(alt)}" src="data:image/png;base64,${Buffer.from(png).toString('base64')}">`;
  if (!f) {
    // Nothing to compute figures from (no evaluated case), but the viewer's captures still belong in the report.
    if (options.snapshotPng) parts.push('<h2>3D snapshot</h2>', figure([{ image: viewerImg(options.snapshotPng, 'viewer snapshot'), label: 'viewer capture' }], '3D view captured in the viewer.', true));
    else if (!options.viewerSlices?.length) parts.push(NOT_RECORDED);
  } else {
    const z = busiestSlice(f.truth.data, f.truth.shape);
    const grid = { shape: f.truth.shape, spacing: f.truth.spacing };
    const background = f.image && f.image.shape.every((n, i) => n === f.truth.shape[i]) ? { data: f.image.data, components: f.image.components } : undefined;
    const panels: { image: RasterImage; label: string }[] = [
      { image: labelSlice(f.truth.data, grid, z, palette, background), label: 'ground truth' },
      { image: labelSlice(f.pred.data, grid, z, palette, background), label: 'prediction' },
      { image: errorSlice(f.pred.data, f.truth.data, grid, z), label: 'error' },
    ];
    if (f.uncertainty) panels.push({ image: heatSlice(f.uncertainty.volume.data, grid, z), label: f.uncertainty.name.replace('_', ' ') });
    const e = ERROR_COLORS;
    const sw = (c: number[]) => `<span class="swatch" style="background: rgb(${c.join(',')})"></span>`;
    parts.push(figure(panels, `Case ${esc(f.caseId)}, axial slice z = ${z}. Error: ${sw(e.correct)}correct ${sw(e.falsePositive)}false positive ${sw(e.falseNegative)}false negative ${sw(e.wrongClass)}wrong class.${f.uncertainty ? ` Uncertainty: ${esc(f.uncertainty.name)} from dark (low) to yellow (high).` : ' Uncertainty: not recorded for this prediction.'}`));

    parts.push('<h2>3D snapshot</h2>');
    const snapshot = options.snapshotPng
      ? `<img alt="viewer snapshot" src="data:image/png;base64,${Buffer.from(options.snapshotPng).toString('base64')}">`
      : undefined;
    parts.push(
      snapshot
        ? figure([{ image: snapshot, label: 'viewer capture' }], `3D view of case ${esc(f.caseId)} captured in the viewer.`, true)
        : figure(
            [
              { image: depthProjection(f.truth.data, grid, palette), label: 'ground truth' },
              { image: depthProjection(f.pred.data, grid, palette), label: 'prediction' },
            ],
            `Case ${esc(f.caseId)}: label surfaces seen along +z, shaded by the depth map's normal (first labelled voxel of every ray).`,
            true,
          ),
    );

    parts.push('<h2>Phase boundaries</h2>');
    parts.push(
      figure(
        [
          { image: boundarySlice(f.truth.data, grid, z, palette), label: 'ground truth' },
          { image: boundarySlice(f.pred.data, grid, z, palette), label: 'prediction' },
        ],
        `Case ${esc(f.caseId)}, slice z = ${z}: classes (phases) in their colours, interfaces between them in white.`,
        true,
      ),
    );
  }
  if (options.viewerSlices?.length) {
    parts.push('<h2>Slice views captured in the viewer</h2>');
    parts.push(figure(options.viewerSlices.map((v) => ({ image: viewerImg(v.png, v.title), label: v.title })), 'Slice views as shown in the viewer when the report was exported (its window/level, colour map and label overlay).', true));
  }
  parts.push('</section>');

  // Provenance
  parts.push('<section id="provenance"><h2>Provenance</h2>');
  const prov: [string, string][] = [
    ['Segstation version', esc(data.appVersion)],
    ['project created with', esc(data.project.createdWith)],
    ['project folder', `<code>${esc(data.project.dir)}</code>`],
    ['dataset hash (imported sources)', `<code>${d.hash}</code>`],
    ['dataset hash recorded by the run', r ? `<code>${esc(r.datasetHash)}</code>` : '<span class="missing">not recorded</span>'],
    ['training config hash', r ? `<code>${esc(r.configHash)}</code>` : '<span class="missing">not recorded</span>'],
    ['model files', data.modelFiles.length ? data.modelFiles.map((m) => `<code>${esc(m.file)}</code> sha256 <code>${m.sha256}</code>`).join('<br>') : '<span class="missing">not recorded</span>'],
    ['training seed', r ? String(r.seed) : '<span class="missing">not recorded</span>'],
    ['split seed', d.split ? String(d.split.seed) : '<span class="missing">not recorded</span>'],
    ['bootstrap seed', String(ev.seed)],
    ['evaluation', `<code>${esc(ev.id)}</code>`],
    ['generated', esc(data.generated)],
  ];
  parts.push(table(['item', 'value'], prov.map(([k, v]) => [k, v])));
  parts.push('</section>');

  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Segstation report — ${esc(data.run.id)}</title><style>${CSS}</style></head><body>${parts.join('\n')}</body></html>\n`;
}
