/** Human-readable lines for training events (CLI and demo). */
import type { TrainingEvent } from './events.ts';

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** One line of text per event for people; a progress bar redrawn in place on a terminal. */
export function describeEvent(event: TrainingEvent, tty: boolean): string | null {
  switch (event.type) {
    case 'start':
      return (
        `run ${event.runId} (fold ${event.fold}) on ${event.backend.name}: ${event.backend.reason}\n` +
        `  ${event.parameters} parameters, batch ${event.batchSize}${event.memoryBudget.auto ? ' (from free memory)' : ''}, ` +
        `${event.trainCases.length} training / ${event.valCases.length} validation cases` +
        (event.resumedFrom ? `, resumed at epoch ${event.resumedFrom.epoch} (step ${event.resumedFrom.step})` : '') +
        `\n  folder ${event.folder}`
      );
    case 'step': {
      if (!tty) return null;
      const width = 24;
      const done = Math.round((event.stepInEpoch / event.stepsPerEpoch) * width);
      const terms = Object.entries(event.terms).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(' ');
      return `\r  epoch ${event.epoch + 1} [${'#'.repeat(done)}${'.'.repeat(width - done)}] loss ${event.loss.toFixed(4)} (${terms}) lr ${event.lr.toExponential(1)} ${Math.round(event.voxelsPerSecond)} vox/s ETA ${formatDuration(event.etaSeconds)}\u001b[K`;
    }
    case 'epoch': {
      const dice = event.valDice ? ` val Dice ${Object.entries(event.valDice).map(([k, v]) => `${k} ${Number.isFinite(v) ? v.toFixed(3) : 'n/a'}`).join(', ')} (mean fg ${event.valDiceMean?.toFixed(4)})` : '';
      return `${tty ? '\r\u001b[K' : ''}epoch ${event.epoch + 1}: loss ${event.metrics.loss?.toFixed(4)}${dice}${event.best ? ' *best*' : ''} ${event.seconds.toFixed(1)} s, ${Math.round(event.metrics.memory_mb)} MB`;
    }
    case 'paused':
    case 'resumed':
      return `${event.type} at step ${event.step}`;
    case 'end':
      return `${event.status} after ${event.epoch} epochs (${event.step} steps, ${formatDuration(event.seconds)}); best mean foreground Dice ${event.bestDice?.toFixed(4) ?? 'n/a'}`;
    case 'error':
      return `error: ${event.message}`;
    default:
      return null;
  }
}

