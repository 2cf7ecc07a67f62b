/**
 * Segmentation metrics, per class, in the physical units of the volume's spacing. Each metric is a plain function on
 * binary masks (`computeDice(pred, truth)`) and a configurable class applying it to every class of two label maps
 * (`new DiceMetric({ classes }).compute(predLabels, truthLabels)`).
 *
 * Conventions (MONAI's, `monai.metrics`; the reference values in tests/fixtures/metrics were computed with scipy
 * following them):
 * - Border voxels: `mask XOR binary_erosion(mask)` with the 6-neighbour cross (`generate_binary_structure(3, 1)`)
 *   and zero padding: voxels outside the grid are background (masks.ts).
 * - Distances: exact Euclidean distance transform with the spacing, between voxel centres
 *   (`distance_transform_edt(~border, sampling=spacing)`), Felzenszwalb–Huttenlocher in linear time (edt.ts).
 * - Hausdorff = max of the two directed maxima; HD95 = max over the two directions of the 95th percentile (linear
 *   interpolation) of the directed distances; ASSD = mean of both directions' distances pooled.
 * - Surface Dice at tolerance tau: border voxels of both masks within tau of the other border, over all border voxels.
 * - Empty masks: Dice/IoU NaN when the ground truth is empty; distances: one mask empty -> Infinity, both -> NaN.
 * - Boundary IoU, calibration (ECE with equal-width bins, Brier) and slice-to-slice consistency: see their files.
 */
export * from './types.ts';
export * from './masks.ts';
export * from './edt.ts';
export * from './quantile.ts';
export * from './classMetric.ts';
export * from './overlap.ts';
export * from './surfaceDistance.ts';
export * from './surface.ts';
export * from './calibration.ts';
export * from './consistency.ts';
export * from './allMetrics.ts';
