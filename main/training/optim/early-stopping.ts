export interface EarlyStoppingOptions {
  /** Stop once this many epochs in a row brought no improvement (>= 1; Keras/Lightning semantics). */
  patience: number;
  /** 'max' for Dice-like metrics, 'min' for losses. */
  mode?: 'min' | 'max';
  /** Smallest absolute change that counts as an improvement. */
  minDelta?: number;
}

export interface EarlyStoppingState {
  best: number | null;
  bestEpoch: number;
  badEpochs: number;
}

export interface EarlyStoppingDecision extends EarlyStoppingState {
  improved: boolean;
  stop: boolean;
}

/** Says when to stop: after `patience` epochs in a row without improvement of the validation metric; remembers the best epoch. */
export class EarlyStopping {
  private state: EarlyStoppingState = { best: null, bestEpoch: -1, badEpochs: 0 };
  private readonly mode: 'min' | 'max';
  private readonly minDelta: number;

  constructor(private readonly options: EarlyStoppingOptions) {
    if (!(Number.isInteger(options.patience) && options.patience >= 1)) throw new Error('EarlyStopping: patience must be an integer >= 1');
    this.mode = options.mode ?? 'max';
    this.minDelta = options.minDelta ?? 0;
  }

  /** Records the metric of an epoch; NaN never counts as an improvement. */
  observe(metric: number, epoch: number): EarlyStoppingDecision {
    const s = this.state;
    const improved =
      !Number.isNaN(metric) && (s.best === null || (this.mode === 'max' ? metric > s.best + this.minDelta : metric < s.best - this.minDelta));
    if (improved) {
      s.best = metric;
      s.bestEpoch = epoch;
      s.badEpochs = 0;
    } else {
      s.badEpochs++;
    }
    return { ...s, improved, stop: s.badEpochs >= this.options.patience };
  }

  getState(): EarlyStoppingState {
    return { ...this.state };
  }

  setState(state: EarlyStoppingState): void {
    this.state = { ...state };
  }
}
