/**
 * Output volumes from blended member features (see members.ts): the label (argmax, lowest class on ties), the mean
 * class probabilities, and with uncertainty the predictive entropy, the mutual information (BALD) and the per-class
 * variance. Works on any run of voxels, so slabs and whole volumes give identical values.
 *
 * Per-case triage score: the mean predictive entropy over voxels predicted foreground (label != 0), divided by
 * ln(K) so that it lies in [0, 1]; over all voxels when nothing is foreground.
 */

export interface DerivedOutputs {
  label: Uint8Array;
  /** K values per voxel, interleaved. */
  probabilities: Float32Array;
  entropy?: Float32Array;
  mutualInformation?: Float32Array;
  /** K values per voxel, interleaved. */
  variance?: Float32Array;
}

export function deriveOutputs(features: Float32Array, voxels: number, classes: number, uncertainty: boolean): DerivedOutputs {
  const K = classes;
  const F = uncertainty ? 2 * K + 1 : K;
  if (features.length !== voxels * F) throw new RangeError(`features hold ${features.length} values, expected ${voxels} x ${F}`);
  const label = new Uint8Array(voxels);
  const probabilities = new Float32Array(voxels * K);
  const entropy = uncertainty ? new Float32Array(voxels) : undefined;
  const mutualInformation = uncertainty ? new Float32Array(voxels) : undefined;
  const variance = uncertainty ? new Float32Array(voxels * K) : undefined;
  for (let v = 0; v < voxels; v++) {
    const f = v * F;
    let best = 0;
    let bestP = -Infinity;
    let h = 0;
    for (let k = 0; k < K; k++) {
      const p = features[f + k];
      probabilities[v * K + k] = p;
      if (p > bestP) {
        bestP = p;
        best = k;
      }
      if (p > 1e-12) h -= p * Math.log(p);
      if (variance) variance[v * K + k] = Math.max(0, features[f + K + k] - p * p);
    }
    label[v] = best;
    if (entropy && mutualInformation) {
      entropy[v] = h;
      mutualInformation[v] = Math.max(0, h - features[f + 2 * K]);
    }
  }
  return { label, probabilities, entropy, mutualInformation, variance };
}

/** Running sums for the triage score, fed slab by slab. */
export class TriageScore {
  readonly classes: number;
  #fgSum = 0;
  #fgCount = 0;
  #allSum = 0;
  #allCount = 0;

  constructor(classes: number) {
    this.classes = classes;
  }

  add(label: Uint8Array, entropy: Float32Array): void {
    for (let i = 0; i < label.length; i++) {
      this.#allSum += entropy[i];
      this.#allCount++;
      if (label[i] !== 0) {
        this.#fgSum += entropy[i];
        this.#fgCount++;
      }
    }
  }

  /** Mean normalised entropy over predicted foreground (all voxels when there is none). */
  value(): number {
    const norm = Math.log(this.classes);
    if (this.#fgCount > 0) return this.#fgSum / this.#fgCount / norm;
    return this.#allCount > 0 ? this.#allSum / this.#allCount / norm : 0;
  }
}
