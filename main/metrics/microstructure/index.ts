/**
 * Microstructure statistics of multi-phase materials (phases = label values): volume fractions, interface areas and
 * specific surface areas by voxel-face counting (interfaces.ts says how that compares with marching cubes), connected
 * components and percolating fractions per axis.
 */
export * from './phases.ts';
export * from './volumeFraction.ts';
export * from './interfaces.ts';
export * from './components.ts';
export * from './analysis.ts';
