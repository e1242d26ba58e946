import { describe, expect, it } from 'vitest';
import {
  CosineAnnealingLR,
  ExponentialLR,
  LambdaLR,
  LinearWarmup,
  MultiStepLR,
  PlateauLR,
  SGD,
  StepLR,
  type LRSchedule,
} from '../src/index.js';
import * as optim from '../src/index.js';
import { golden } from './helpers.js';

const make = (name: string, opt: SGD, o: Record<string, unknown>): LRSchedule => {
  switch (name) {
    case 'StepLR':
      return new StepLR(opt, { stepSize: o['step_size'] as number, gamma: o['gamma'] as number });
    case 'MultiStepLR':
      return new MultiStepLR(opt, { milestones: o['milestones'] as number[], gamma: o['gamma'] as number });
    case 'ExponentialLR':
      return new ExponentialLR(opt, { gamma: o['gamma'] as number });
    case 'CosineAnnealingLR':
      return new CosineAnnealingLR(opt, { tMax: o['T_max'] as number, etaMin: o['eta_min'] as number });
    case 'LinearLR':
      return new LinearWarmup(opt, { startFactor: o['start_factor'] as number, warmupSteps: o['total_iters'] as number });
    default:
      return new PlateauLR(opt, {
        mode: o['mode'] as 'max',
        patience: o['patience'] as number,
        factor: o['factor'] as number,
        cooldown: o['cooldown'] as number,
        threshold: o['threshold'] as number,
        thresholdMode: o['threshold_mode'] as 'abs',
        minLr: o['min_lr'] as number,
      });
  }
};

describe('schedules match PyTorch 1.13', () => {
  for (const s of golden.schedules) {
    it(`${s.schedule} ${JSON.stringify(s.options)}`, () => {
      const opt = new SGD([], { lr: 0.5 });
      const sch = make(s.schedule, opt, s.options);
      const lrs = [opt.lr];
      for (let e = 0; e < s.lrs.length - 1; e++) {
        sch.step(s.metrics ? s.metrics[e] : undefined);
        lrs.push(opt.lr);
      }
      lrs.forEach((lr, e) => expect(Math.abs(lr - s.lrs[e]!), `epoch ${e}`).toBeLessThan(1e-12 * Math.max(1, s.lrs[e]!)));
    });
  }
});

describe('schedules against their closed forms', () => {
  const run = (f: (o: SGD) => LRSchedule, n = 20) => {
    const opt = new SGD([], { lr: 0.2 });
    const sch = f(opt);
    const out = [opt.lr];
    for (let i = 0; i < n; i++) {
      sch.step();
      out.push(opt.lr);
    }
    return out;
  };
  it('StepLR / MultiStepLR / ExponentialLR / Cosine / LinearWarmup / LambdaLR', () => {
    run((o) => new StepLR(o, { stepSize: 4, gamma: 0.5 })).forEach((lr, e) => expect(lr).toBeCloseTo(0.2 * 0.5 ** Math.floor(e / 4), 14));
    run((o) => new MultiStepLR(o, { milestones: [7, 3] })).forEach((lr, e) =>
      expect(lr).toBeCloseTo(0.2 * 0.1 ** ((e >= 3 ? 1 : 0) + (e >= 7 ? 1 : 0)), 14),
    );
    run((o) => new ExponentialLR(o, { gamma: 0.8 })).forEach((lr, e) => expect(lr).toBeCloseTo(0.2 * 0.8 ** e, 14));
    run((o) => new CosineAnnealingLR(o, { tMax: 8 })).forEach((lr, e) =>
      expect(lr).toBeCloseTo(0.1 * (1 + Math.cos((Math.PI * e) / 8)), 14),
    );
    run((o) => new LinearWarmup(o, { warmupSteps: 10, startFactor: 0.1 })).forEach((lr, e) =>
      expect(lr).toBeCloseTo(0.2 * (0.1 + (0.9 * Math.min(e, 10)) / 10), 14),
    );
    run((o) => new LambdaLR(o, { lrLambda: (e) => 1 / (1 + e) })).forEach((lr, e) => expect(lr).toBeCloseTo(0.2 / (1 + e), 14));
  });

  it('state()/loadState() resumes a schedule', () => {
    const a = new SGD([], { lr: 1 });
    const sa = new PlateauLR(a, { patience: 1, cooldown: 2 });
    const metrics = [5, 4, 4, 4, 4, 3, 3, 3, 3, 3];
    for (const m of metrics.slice(0, 4)) sa.step(m);
    const b = new SGD([], { lr: a.lr });
    const sb = new PlateauLR(b, { patience: 1, cooldown: 2 });
    sb.loadState(JSON.parse(JSON.stringify(sa.state())));
    for (const m of metrics.slice(4)) {
      sa.step(m);
      sb.step(m);
      expect(b.lr).toBe(a.lr);
    }
    const c = new SGD([], { lr: 1 });
    const sc = new CosineAnnealingLR(c, { tMax: 10 });
    for (let i = 0; i < 3; i++) sc.step();
    const d = new SGD([], { lr: 1 });
    const sd = new CosineAnnealingLR(d, { tMax: 10 });
    sd.loadState(sc.state());
    sc.step();
    sd.step();
    expect(d.lr).toBe(c.lr);
    expect(() => new StepLR(d, { stepSize: 2 }).loadState(sc.state())).toThrow(/state is for 'CosineAnnealingLR'/);
  });

  it('validates its options', () => {
    const o = new SGD([], { lr: 1 });
    expect(() => new StepLR(o, { stepSize: 0 })).toThrow(/stepSize 0/);
    expect(() => new PlateauLR(o).step()).toThrow(/expected a number/);
    expect(() => new PlateauLR(o, { factor: 1 })).toThrow(/factor 1/);
    const notAFunction = 0.5 as unknown as () => number;
    expect(() => new LambdaLR(o, { lrLambda: notAFunction })).toThrow('LambdaLR: got lrLambda of type number; expected a function');
  });
});

describe('schedule names', () => {
  it("the plateau schedule is PlateauLR, like StepLR and ExponentialLR (ReduceLROnPlateau is @tapegrad/nn's Keras callback)", () => {
    expect(new PlateauLR(new SGD([], { lr: 0.1 })).name).toBe('PlateauLR');
    expect('ReduceLROnPlateau' in optim).toBe(false);
  });
});
