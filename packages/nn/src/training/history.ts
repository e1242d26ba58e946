import { ValueError } from '@tapegrad/tensor';
import { describe } from '../io/safe-json.js';

/** Training parameters recorded in a {@link History}. */
export interface HistoryParams {
  epochs: number;
  batchSize: number;
  samples: number;
  validationSamples: number;
  seed: number | string | null;
  optimizer?: string;
  loss?: string;
  metrics?: string[];
}

/** The JSON form of a {@link History}. */
export interface HistoryJSON {
  format: 'tapegrad-history';
  version: 1;
  epoch: number[];
  history: Record<string, number[]>;
  params: HistoryParams;
}

/**
 * What `fit` returns: one array per Keras key (`loss`, `accuracy`, `val_loss`, `val_accuracy`, `lr`,
 * `time` in seconds), indexed like `epoch`; JSON-serialisable with the seed it was trained with.
 */
export class History {
  /** The epoch number (0-based, counting from `initialEpoch`) of each entry. */
  epoch: number[] = [];
  /** Per-key values, one per epoch. */
  history: Record<string, number[]> = Object.create(null) as Record<string, number[]>;
  /** How training was run. */
  params: HistoryParams;

  constructor(params: Partial<HistoryParams> = {}) {
    this.params = { epochs: 0, batchSize: 0, samples: 0, validationSamples: 0, seed: null, ...params };
  }

  /** Appends one epoch's logs. */
  record(epoch: number, logs: Record<string, number>): void {
    const n = this.epoch.length;
    this.epoch.push(epoch);
    for (const key of Object.keys(logs)) {
      let arr = this.history[key];
      if (!arr) {
        arr = new Array<number>(n).fill(NaN);
        this.history[key] = arr;
      }
      arr.push(logs[key]!);
    }
    for (const key of Object.keys(this.history)) if (this.history[key]!.length === n) this.history[key]!.push(NaN);
  }

  /** The logs of the last recorded epoch (empty before the first). */
  last(): Record<string, number> {
    const out: Record<string, number> = {};
    const i = this.epoch.length - 1;
    if (i < 0) return out;
    for (const key of Object.keys(this.history)) out[key] = this.history[key]![i]!;
    return out;
  }

  /** The keys recorded, in insertion order. */
  keys(): string[] {
    return Object.keys(this.history);
  }

  /** A plain JSON document (NaN/Infinity become `null` through JSON.stringify). */
  toJSON(): HistoryJSON {
    const history: Record<string, number[]> = {};
    for (const key of Object.keys(this.history)) history[key] = [...this.history[key]!];
    return { format: 'tapegrad-history', version: 1, epoch: [...this.epoch], history, params: { ...this.params } };
  }

  /** Rebuilds a History from {@link History.toJSON} output (`null` values read back as NaN). */
  static fromJSON(doc: unknown): History {
    const d = doc as Partial<HistoryJSON> | null;
    if (!d || typeof d !== 'object' || !Array.isArray(d.epoch) || !d.history || typeof d.history !== 'object') {
      throw new ValueError(`History.fromJSON: expected {epoch: number[], history: {...}}, got ${describe(doc)}`);
    }
    const h = new History(d.params ?? {});
    h.epoch = d.epoch.map(Number);
    for (const key of Object.keys(d.history)) {
      const arr = (d.history as Record<string, unknown>)[key];
      if (!Array.isArray(arr) || arr.length !== h.epoch.length) {
        throw new ValueError(`History.fromJSON: history.${key} must be an array of ${h.epoch.length} numbers`);
      }
      h.history[key] = arr.map((v) => (v === null ? NaN : Number(v)));
    }
    return h;
  }
}
