import { describe, expect, it } from 'vitest';
import { checkCaseForm, checkClassName, checkCreateForm, checkSplitForm, hexToRgb, isAbsolutePath, rgbToHex } from '../../../../renderer/src/core/project/forms.ts';
import { caseFromFiles, caseIdFromFileName, looksLikeLabel } from '../../../../renderer/src/core/project/droppedFiles.ts';

describe('create form', () => {
  it('passes a complete form', () => {
    expect(checkCreateForm({ dir: '/data/p', name: 'Electrodes', folds: '5', seed: '42' })).toEqual({});
    expect(checkCreateForm({ dir: 'C:\\data\\p', name: '', folds: '2', seed: '-1' })).toEqual({});
  });
  it.each([
    [{ dir: '', name: '', folds: '5', seed: '0' }, { dir: 'must not be empty' }],
    [{ dir: 'rel/p', name: '', folds: '5', seed: '0' }, { dir: expect.stringMatching(/absolute path/) }],
    [{ dir: '/p', name: 'x'.repeat(201), folds: '5', seed: '0' }, { name: 'must be at most 200 characters' }],
    [{ dir: '/p', name: '', folds: '1', seed: '0' }, { folds: 'must be between 2 and 100' }],
    [{ dir: '/p', name: '', folds: '2.5', seed: 'x' }, { folds: 'must be a whole number', seed: 'must be a whole number' }],
  ])('names the bad fields of %j', (form, issues) => {
    expect(checkCreateForm(form)).toEqual(issues);
  });
});

describe('split form', () => {
  it.each([
    [{ folds: '3', seed: '1', testFraction: '' }, {}],
    [{ folds: '3', seed: '1', testFraction: '0.2' }, {}],
    [{ folds: '3', seed: '1', testFraction: '1' }, { testFraction: 'must be at least 0 and below 1' }],
    [{ folds: '3', seed: '1', testFraction: 'a' }, { testFraction: 'must be a number' }],
    [{ folds: '0', seed: '', testFraction: '' }, { folds: 'must be between 2 and 100', seed: 'must be a whole number' }],
  ])('%j', (form, issues) => {
    expect(checkSplitForm(form)).toEqual(issues);
  });
});

describe('case form', () => {
  it.each([
    [{ images: ['/a.nii'], label: '', caseId: '', domain: '' }, {}],
    [{ images: ['/a.nii', '/b.nii'], label: '/l.nii', caseId: 'c_1', domain: 'xct' }, {}],
    [{ images: [''], label: '', caseId: '', domain: '' }, { images: 'choose at least one image file' }],
    [{ images: ['a.nii'], label: 'l.nii', caseId: '', domain: '' }, { images: 'every image must be an absolute path', label: 'must be an absolute path' }],
    [{ images: ['/a.nii'], label: '', caseId: '-bad id', domain: '' }, { caseId: expect.stringMatching(/starting with a letter or digit/) }],
  ])('%j', (form, issues) => {
    expect(checkCaseForm(form)).toEqual(issues);
  });
});

describe('classes and colours', () => {
  it('class names', () => {
    expect(checkClassName(' pore ')).toBeNull();
    expect(checkClassName('  ')).toBe('must not be empty');
    expect(checkClassName('x'.repeat(201))).toBe('must be at most 200 characters');
  });
  it.each([
    ['#000000', [0, 0, 0]],
    ['#ff8000', [255, 128, 0]],
    ['#3C8CE6', [60, 140, 230]],
  ])('%s <-> %j', (hex, rgb) => {
    expect(hexToRgb(hex)).toEqual(rgb);
    expect(rgbToHex(rgb)).toBe(hex.toLowerCase());
  });
  it('refuses what is not #rrggbb and clamps out-of-range channels', () => {
    expect(hexToRgb('#fff')).toBeNull();
    expect(hexToRgb('red')).toBeNull();
    expect(rgbToHex([300, -4, 12.6])).toBe('#ff000d');
  });
  it('absolute paths', () => {
    expect([isAbsolutePath('/x'), isAbsolutePath('D:/x'), isAbsolutePath('\\\\srv\\s'), isAbsolutePath('x/y'), isAbsolutePath('~/x')]).toEqual([true, true, true, false, false]);
  });
});

describe('dropped files', () => {
  it.each([
    ['case1_label.nii.gz', true],
    ['case1-seg.nrrd', true],
    ['labels.tif', true],
    ['case1 mask.mha', true],
    ['case1_gt.nii', true],
    ['case1.nii.gz', false],
    ['segment7.nii.gz', false],
    ['gtx.nii', false],
  ])('%s reads as a label: %s', (name, label) => {
    expect(looksLikeLabel(name)).toBe(label);
  });
  it.each([
    ['electrode_0.nii.gz', 'electrode_0'],
    ['brain_0000.nii.gz', 'brain'],
    ['my scan (2).nrrd', 'my_scan__2_'],
    ['__x.mha', 'x'],
    ['.nii.gz', 'nii'],
  ])('case id of %s is %s', (name, id) => {
    expect(caseIdFromFileName(name)).toBe(id);
  });
  it('sorts a drop into images and a label', () => {
    const c = caseFromFiles([{ name: 'a_label.nrrd' }, { name: 'a.nii.gz' }]);
    expect(c).toEqual({ images: [{ name: 'a.nii.gz' }], label: { name: 'a_label.nrrd' }, caseId: 'a', problem: null });
  });
  it('names the problem of a drop that is not one case', () => {
    expect(caseFromFiles([]).problem).toBe('no files');
    expect(caseFromFiles([{ name: 'x_seg.nii' }]).problem).toMatch(/no image among x_seg\.nii/);
    expect(caseFromFiles([{ name: 'a.nii' }, { name: 'a_seg.nii' }, { name: 'a_mask.nii' }]).problem).toMatch(/2 label maps \(a_seg\.nii, a_mask\.nii\)/);
  });
});
