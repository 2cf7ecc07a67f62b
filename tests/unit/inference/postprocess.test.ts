import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  connectedComponents,
  countConflicts,
  enforceAdjacency,
  fillHoles,
  keepLargest,
  parsePostprocessConfig,
  Postprocessor,
  removeSmall,
  runPostprocess,
} from '../../../main/inference/postprocess/index.ts';
import type { Vec3 } from '../../../main/volume/volume.ts';

interface Fixture {
  shape: Vec3;
  classes: number;
  labels: number[];
  probabilities: number[];
  components: { class: number; labels26: number[]; count26: number; labels6: number[]; count6: number };
  keepLargest26: number[];
  keepLargest6: number[];
  minSize: { voxels: number; result26: number[] };
  fillHoles: number[];
  adjacency: { allowed: boolean[][]; result: number[] };
}

// Made once by tests/fixtures/postprocess/make.py with scipy.ndimage / scikit-image.
const here = path.dirname(fileURLToPath(import.meta.url));
const fx = JSON.parse(readFileSync(path.join(here, '../../fixtures/postprocess/fixture.json'), 'utf8')) as Fixture;
const labels = () => Uint8Array.from(fx.labels);
const probabilities = Float32Array.from(fx.probabilities);

function diffCount(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describe('connected components equal scipy.ndimage.label', () => {
  it.each([
    [26, 'labels26', 'count26'],
    [6, 'labels6', 'count6'],
  ] as const)('%i-connectivity', (conn, key, countKey) => {
    const lab = labels();
    const cc = connectedComponents(fx.shape, (i) => lab[i] === fx.components.class, conn);
    expect(cc.count).toBe(fx.components[countKey]);
    expect(diffCount(cc.labels, fx.components[key])).toBe(0);
    expect(cc.sizes.reduce((a, b) => a + b, 0)).toBe(lab.filter((v) => v === fx.components.class).length);
  });

  it('joins a diagonal chain with 26- but not with 6-connectivity', () => {
    const shape: Vec3 = [3, 3, 3];
    const on = new Set([0, 13, 26]); // (0,0,0), (1,1,1), (2,2,2)
    expect(connectedComponents(shape, (i) => on.has(i), 26).count).toBe(1);
    expect(connectedComponents(shape, (i) => on.has(i), 18).count).toBe(3);
    expect(connectedComponents(shape, (i) => on.has(i), 6).count).toBe(3);
  });
});

describe('clean-up steps equal the scikit-image / scipy references', () => {
  it.each([
    [26, 'keepLargest26'],
    [6, 'keepLargest6'],
  ] as const)('keep largest per class, %i-connectivity', (conn, key) => {
    const lab = labels();
    const report = keepLargest(lab, fx.shape, { connectivity: conn });
    expect(diffCount(lab, fx[key])).toBe(0);
    expect(report.changed).toBe(diffCount(fx.labels, fx[key]));
    expect(report.changed).toBeGreaterThan(0);
  });

  it('minimum component size (skimage remove_small_objects)', () => {
    const lab = labels();
    const report = removeSmall(lab, fx.shape, { voxels: fx.minSize.voxels, connectivity: 26 });
    expect(diffCount(lab, fx.minSize.result26)).toBe(0);
    expect(report.changed).toBeGreaterThan(0);
    const removed = Object.values(report.before).reduce((a, b) => a + b, 0);
    expect(Object.values(report.after).reduce((a, b) => a + b, 0)).toBe(removed);
    expect(report.after[0] - report.before[0]).toBe(report.changed);
  });

  it('hole filling (scipy binary_fill_holes per class)', () => {
    const lab = labels();
    const report = fillHoles(lab, fx.shape);
    expect(diffCount(lab, fx.fillHoles)).toBe(0);
    expect(report.changed).toBe(diffCount(fx.labels, fx.fillHoles));
    expect(report.before[0] - report.after[0]).toBe(report.changed);
  });

  it('phase adjacency: violators move to their most probable allowed class (numpy reference)', () => {
    const lab = labels();
    expect(countConflicts(lab, fx.shape, fx.adjacency.allowed)).toBeGreaterThan(0);
    const report = enforceAdjacency(lab, fx.shape, { allowed: fx.adjacency.allowed, probabilities, classes: fx.classes });
    expect(diffCount(lab, fx.adjacency.result)).toBe(0);
    expect(report.changed).toBe(diffCount(fx.labels, fx.adjacency.result));
    expect(report.unresolved).toBe(countConflicts(lab, fx.shape, fx.adjacency.allowed));
  });

  it('adjacency on a 1D strip: the less confident side moves to the allowed class', () => {
    // classes 0..2; 1 and 2 may not touch; voxel 1 is 2 (p=0.6) next to a confident 1 (p=0.9)
    const lab = Uint8Array.from([1, 2, 2]);
    const probs = Float32Array.from([0.05, 0.9, 0.05, 0.35, 0.05, 0.6, 0, 0, 1]);
    const allowed = [
      [true, true, true],
      [true, true, false],
      [true, false, true],
    ];
    const report = enforceAdjacency(lab, [3, 1, 1], { allowed, probabilities: probs, classes: 3 });
    expect([...lab]).toEqual([1, 0, 2]);
    expect(report.changed).toBe(1);
    expect(report.unresolved).toBe(0);
  });
});

describe('post-processing config', () => {
  it('runs steps in order with one report each', () => {
    const lab = labels();
    const config = parsePostprocessConfig({ steps: [{ op: 'keepLargest' }, { op: 'adjacency', allowed: fx.adjacency.allowed }] }, 'pp.json');
    const reports = runPostprocess({ labels: lab, shape: fx.shape, probabilities, classes: fx.classes }, config);
    expect(reports.map((r) => r.step)).toEqual(['keepLargest', 'adjacency']);
    expect(reports[1].before).toEqual(reports[0].after);
  });

  it.each([
    [{ steps: [] }, /steps/],
    [{ steps: [{ op: 'minSize' }] }, /voxels/],
    [{ steps: [{ op: 'adjacency' }] }, /exactly one of allowed or forbidden/],
    [{ connectivity: 8, steps: [{ op: 'keepLargest' }] }, /connectivity/],
  ])('rejects %j naming the field', (config, pattern) => {
    expect(() => parsePostprocessConfig(config, 'pp.json')).toThrow(pattern);
    expect(() => parsePostprocessConfig(config, 'pp.json')).toThrow(/^pp\.json: invalid post-processing config/);
  });

  it('Postprocessor validates once and runs like runPostprocess', () => {
    const pp = new Postprocessor({ steps: [{ op: 'minSize', voxels: fx.minSize.voxels }] }, 'pp.json');
    const lab = labels();
    expect(pp.run({ labels: lab, shape: fx.shape, classes: fx.classes })[0].step).toBe('minSize');
    expect(diffCount(lab, fx.minSize.result26)).toBe(0);
    expect(() => new Postprocessor({ steps: [{ op: 'erode' }] }, 'pp.json')).toThrow(/^pp\.json: invalid post-processing config/);
  });

  it('builds the allowed matrix from forbidden pairs and checks classes', () => {
    const lab = Uint8Array.from([1, 3]);
    const config = parsePostprocessConfig({ steps: [{ op: 'adjacency', forbidden: [[1, 3]] }] }, 'pp.json');
    const probs = Float32Array.from([0.1, 0.8, 0.05, 0.05, 0.2, 0.1, 0.1, 0.6]);
    runPostprocess({ labels: lab, shape: [2, 1, 1], probabilities: probs, classes: 4 }, config);
    expect([...lab]).toEqual([1, 0]);
    const bad = parsePostprocessConfig({ steps: [{ op: 'adjacency', forbidden: [[1, 7]] }] }, 'pp.json');
    expect(() => runPostprocess({ labels: lab, shape: [2, 1, 1], probabilities: probs, classes: 4 }, bad)).toThrow(/class beyond 3/);
  });
});
