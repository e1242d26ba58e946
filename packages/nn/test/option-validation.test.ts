import { ValueError } from '@tapegrad/tensor';
import { describe, expect, it } from 'vitest';
import { EarlyStopping, ModelCheckpoint, ReduceLROnPlateau } from '../src/training/callbacks.js';
import { niceTicks, plotHistory } from '../src/training/plot.js';
import { ProgressBar } from '../src/training/progress.js';

/** Every number in an attribute of the SVG. */
function attributeNumbers(svg: string): string[] {
  return [...svg.matchAll(/ (?:x|y|x1|x2|y1|y2|cx|cy|width|height|points|transform)="([^"]*)"/g)].map((m) => m[1]!);
}

function expectCleanSvg(svg: string): void {
  expect(svg).not.toMatch(/NaN|Infinity/);
  for (const a of attributeNumbers(svg)) expect(a).not.toMatch(/NaN|Infinity/);
}

describe('plotHistory with huge finite values', () => {
  it('keeps coordinates finite and the tick count bounded near Number.MAX_VALUE', () => {
    for (const loss of [[1e300, 1e308, 1.7e308], [-1.7e308, 1.7e308], [Number.MAX_VALUE, Number.MAX_VALUE], [-Number.MAX_VALUE, 0, 1]]) {
      const svg = plotHistory({ loss });
      expectCleanSvg(svg);
      const gridLines = svg.match(/stroke="#e5e5e5"/g) ?? [];
      expect(gridLines.length).toBeLessThan(40);
      expect(svg.match(/<polyline/g)?.length ?? 0).toBeGreaterThan(0);
    }
  });

  it('keeps x coordinates finite for huge epoch numbers', () => {
    expectCleanSvg(plotHistory({ history: { loss: [1, 2, 3] }, epochs: [-1.7e308, 0, 1.7e308] }));
    expectCleanSvg(plotHistory({ history: { loss: [1, 2] }, epochs: [1.7e308, 1.7e308] }));
  });

  it('niceTicks returns a few finite ticks for any finite range', () => {
    for (const [a, b] of [[1e300, 1.7e308], [-1.7e308, 1.7e308], [0, Number.MAX_VALUE]] as const) {
      const t = niceTicks(a, b, 5, false);
      expect(t.length).toBeGreaterThanOrEqual(2);
      expect(t.length).toBeLessThanOrEqual(30);
      expect(t.every(Number.isFinite)).toBe(true);
      expect(t[0]!).toBeLessThanOrEqual(a);
      expect(t[t.length - 1]!).toBeGreaterThanOrEqual(b);
    }
  });

  it('rejects non-finite, non-positive or huge width and height, naming the option and value', () => {
    for (const bad of [Infinity, NaN, 0, -3, 1e9, '100']) {
      expect(() => plotHistory({ loss: [1] }, { width: bad as number })).toThrow(ValueError);
      expect(() => plotHistory({ loss: [1] }, { height: bad as number })).toThrow(/plotHistory: .*height got/);
    }
    expect(() => plotHistory({ loss: [1] }, { width: Infinity })).toThrow(/width got Infinity/);
    expect(() => plotHistory({ loss: [1] }, { title: 5 as unknown as string })).toThrow(/title must be a string/);
    expect(() => plotHistory({ loss: [1] }, { exclude: 'lr' as unknown as string[] })).toThrow(/exclude must be an array/);
    expectCleanSvg(plotHistory({ loss: [1, 0.5] }, { width: 1, height: 1 }));
  });
});

describe('ProgressBar options', () => {
  it('rejects a bad width at construction, naming the class, option and value', () => {
    for (const width of [-5, NaN, 1e9, 0, 2.5, Infinity]) {
      expect(() => new ProgressBar({ width })).toThrow(ValueError);
      expect(() => new ProgressBar({ width })).toThrow(new RegExp(`ProgressBar: width must be an integer in \\[1, 1000\\], got ${width}`));
    }
    expect(() => new ProgressBar({ interval: NaN })).toThrow(/ProgressBar: interval must be a finite number/);
    expect(() => new ProgressBar({ verbose: 3 as 1 })).toThrow(/ProgressBar: verbose must be 0, 1 or 2, got 3/);
    expect(() => new ProgressBar({ writer: {} as never })).toThrow(/ProgressBar: writer must be/);
    expect(() => new ProgressBar({ now: 5 as never })).toThrow(/ProgressBar: now must be a function/);
    expect(new ProgressBar({ width: 1000 }).width).toBe(1000);
  });
});

describe('callback options', () => {
  it('EarlyStopping rejects NaN/negative thresholds, bad patience and unknown modes', () => {
    expect(() => new EarlyStopping({ minDelta: NaN })).toThrow(/EarlyStopping: minDelta must be a finite number in \[0, .*\], got NaN/);
    expect(() => new EarlyStopping({ minDelta: -0.1 })).toThrow(/EarlyStopping: minDelta/);
    expect(() => new EarlyStopping({ baseline: NaN })).toThrow(/EarlyStopping: baseline must be a finite number.*got NaN/);
    expect(() => new EarlyStopping({ baseline: Infinity })).toThrow(/EarlyStopping: baseline/);
    const bogus = /EarlyStopping: mode must be one of 'auto', 'min', 'max', got "bogus"/;
    expect(() => new EarlyStopping({ mode: 'bogus' as 'min' })).toThrow(bogus);
    for (const patience of [-1, 1.5, NaN, Infinity]) expect(() => new EarlyStopping({ patience })).toThrow(/EarlyStopping: patience/);
    expect(() => new EarlyStopping({ restoreBestWeights: 'yes' as unknown as boolean })).toThrow(/restoreBestWeights must be a boolean/);
    expect(() => new EarlyStopping({ monitor: 3 as unknown as string })).toThrow(/EarlyStopping: monitor/);
    const ok = new EarlyStopping({ minDelta: 0.01, baseline: 0.5, mode: 'max', patience: 2 });
    expect([ok.minDelta, ok.baseline, ok.mode, ok.patience]).toEqual([0.01, 0.5, 'max', 2]);
    expect(new EarlyStopping({ monitor: 'val_accuracy' }).mode).toBe('max');
  });

  it('ReduceLROnPlateau rejects bad minLr, patience, cooldown, factor, minDelta and mode', () => {
    expect(() => new ReduceLROnPlateau({ minLr: NaN })).toThrow(/ReduceLROnPlateau: minLr must be a finite number in \[0, .*\], got NaN/);
    expect(() => new ReduceLROnPlateau({ minLr: -1 })).toThrow(/ReduceLROnPlateau: minLr/);
    for (const v of [-1, 0.5, NaN]) {
      expect(() => new ReduceLROnPlateau({ patience: v })).toThrow(/ReduceLROnPlateau: patience must be an integer/);
      expect(() => new ReduceLROnPlateau({ cooldown: v })).toThrow(/ReduceLROnPlateau: cooldown must be an integer/);
    }
    for (const factor of [0, 1, NaN, 2]) {
      expect(() => new ReduceLROnPlateau({ factor })).toThrow(/ReduceLROnPlateau: factor must be .* in \(0, 1\)/);
    }
    expect(() => new ReduceLROnPlateau({ minDelta: NaN })).toThrow(/ReduceLROnPlateau: minDelta/);
    expect(() => new ReduceLROnPlateau({ mode: 'up' as 'max' })).toThrow(/ReduceLROnPlateau: mode must be one of/);
    const ok = new ReduceLROnPlateau({ factor: 0.5, patience: 0, cooldown: 2, minLr: 1e-5 });
    expect([ok.factor, ok.patience, ok.cooldown, ok.minLr, ok.minDelta]).toEqual([0.5, 0, 2, 1e-5, 1e-4]);
  });

  it('ModelCheckpoint rejects an unknown mode and a non-boolean saveBestOnly', () => {
    const save = (): void => {};
    expect(() => new ModelCheckpoint({ save, mode: 'bogus' as 'min' })).toThrow(/ModelCheckpoint: mode must be one of/);
    expect(() => new ModelCheckpoint({ save, saveBestOnly: 0 as unknown as boolean })).toThrow(/ModelCheckpoint: saveBestOnly/);
  });
});
