/**
 * Fault injection for tests of the all-or-nothing guarantees (import). Production code never sets `faultHook`; when it
 * is unset a checkpoint costs one comparison.
 */
export type FaultPoint =
  /** A store was written under its temporary name (detail: the volume id). */
  | 'store-written'
  /** Everything is staged, the catalogue is about to be written. */
  | 'before-persist'
  /** The catalogue was written, the stores are not in place yet. */
  | 'after-persist'
  /** A store was moved to its final name (detail: the volume id). */
  | 'store-moved';

export const faults: { hook?: (point: FaultPoint, detail: string) => void | Promise<void> } = {};

export async function checkpoint(point: FaultPoint, detail = ''): Promise<void> {
  if (faults.hook) await faults.hook(point, detail);
}
