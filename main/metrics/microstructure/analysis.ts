/** All microstructure statistics of a multi-phase label volume, as one report. */
import type { TypedArray } from '../../volume/dtype.ts';
import type { Vec3 } from '../../volume/volume.ts';
import { computePercolatingFraction, labelComponents, type Connectivity } from './components.ts';
import { computeInterfaceAreas, phaseSurfaceAreas, type InterfaceArea } from './interfaces.ts';
import { indexPhases } from './phases.ts';
import { computeVolumeFractions } from './volumeFraction.ts';

export interface PhaseStatistics {
  value: number;
  voxels: number;
  volumeFraction: number;
  /** Sum of the phase's interface areas (voxel faces), unit^2. */
  surfaceArea: number;
  /** surfaceArea / total sample volume, unit^-1. */
  specificSurfaceArea: number;
  components: number;
  /** Share of the phase's voxels in components touching both opposite faces, along x, y, z. */
  percolatingFraction: Vec3;
}

export interface MicrostructureReport {
  shape: Vec3;
  spacing: Vec3;
  /** Total sample volume, unit^3. */
  volume: number;
  connectivity: Connectivity;
  areaMethod: 'voxel-faces';
  phases: PhaseStatistics[];
  interfaces: InterfaceArea[];
}

export interface MicrostructureOptions {
  connectivity?: Connectivity;
}

export function computeMicrostructure(labels: TypedArray, shape: Vec3, spacing: Vec3, options: MicrostructureOptions = {}): MicrostructureReport {
  const connectivity = options.connectivity ?? 6;
  const phaseIndex = indexPhases(labels);
  const fractions = computeVolumeFractions(labels, phaseIndex);
  const interfaces = computeInterfaceAreas(labels, shape, spacing, phaseIndex);
  const areas = phaseSurfaceAreas(interfaces);
  const volume = labels.length * spacing[0] * spacing[1] * spacing[2];
  const phases: PhaseStatistics[] = [];
  for (const [k, value] of phaseIndex.values.entries()) {
    const fraction = fractions.get(value) ?? 0;
    const mask = new Uint8Array(labels.length);
    for (let i = 0; i < mask.length; i++) mask[i] = phaseIndex.index[i] === k ? 1 : 0;
    const cc = labelComponents(mask, shape, connectivity);
    const area = areas.get(value) ?? 0;
    phases.push({
      value,
      voxels: phaseIndex.counts[k],
      volumeFraction: fraction,
      surfaceArea: area,
      specificSurfaceArea: area / volume,
      components: cc.count,
      percolatingFraction: computePercolatingFraction(mask, shape, connectivity, cc),
    });
  }
  return { shape: [...shape] as Vec3, spacing: [...spacing] as Vec3, volume, connectivity, areaMethod: 'voxel-faces', phases, interfaces };
}

export class MicrostructureAnalysis {
  constructor(readonly options: MicrostructureOptions = {}) {}
  compute(volume: { data: TypedArray; shape: Vec3; spacing: Vec3 }): MicrostructureReport {
    return computeMicrostructure(volume.data, volume.shape, volume.spacing, this.options);
  }
}
