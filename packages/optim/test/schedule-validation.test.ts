import { describe, expect, it } from 'vitest';
import { Tensor, ValueError, tensor } from '@tapegrad/tensor';
import {
  CosineAnnealingLR,
  ExponentialLR,
  LambdaLR,
  LinearWarmup,
  MultiStepLR,
  PlateauLR,
  SGD,
  StepLR,
  clipGradNorm,
  clipGradValue,
  type LRSchedule,
  type Parameter,
  type ScheduleState,
} from '../src/index.js';

/** A schedule class called with arguments of any type (as from JavaScript). */
type AnySchedule = new (optimizer: unknown, options?: unknown) => LRSchedule;

const CLASSES: Record<string, AnySchedule> = {
  StepLR,
  MultiStepLR,
  ExponentialLR,
  CosineAnnealingLR,
  LinearWarmup,
  LambdaLR,
  PlateauLR,
} as Record<string, AnySchedule>;

/** Valid options of each schedule. */
const VALID: Record<string, Record<string, unknown>> = {
  StepLR: { stepSize: 2, gamma: 0.5 },
  MultiStepLR: { milestones: [1, 3] },
  ExponentialLR: { gamma: 0.5 },
  CosineAnnealingLR: { tMax: 4, etaMin: 0.01 },
  LinearWarmup: { warmupSteps: 3 },
  LambdaLR: { lrLambda: (e: number) => 1 / (1 + e) },
  PlateauLR: { patience: 1 },
};

const NAMES = Object.keys(CLASSES);
const REQUIRED: Record<string, string> = {
  StepLR: 'stepSize',
  MultiStepLR: 'milestones',
  ExponentialLR: 'gamma',
  CosineAnnealingLR: 'tMax',
  LambdaLR: 'lrLambda',
};

const make = (name: string, options: unknown = VALID[name], lr = 0.5): [SGD, LRSchedule] => {
  const opt = new SGD([], { lr });
  return [opt, new CLASSES[name]!(opt, options)];
};

/** Expects `f` to throw a ValueError whose message contains every part. */
function refuses(f: () => unknown, ...parts: (string | RegExp)[]): void {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error, 'should throw').toBeInstanceOf(ValueError);
  for (const part of parts) expect((error as Error).message).toMatch(part);
}

describe('schedule constructors check the optimizer', () => {
  for (const name of NAMES) {
    it(`${name} refuses an optimizer that is undefined, a plain object or a number`, () => {
      for (const [bad, shown] of [
        [undefined, 'undefined'],
        [{}, 'an object'],
        [0.1, '0.1'],
      ] as const) {
        refuses(() => new CLASSES[name]!(bad, VALID[name]), `${name}: got optimizer ${shown}; expected an Optimizer`);
      }
    });
    it(`${name} refuses an optimizer whose lr is NaN, leaving it unchanged`, () => {
      const opt = new SGD([], { lr: 0.1 });
      opt.lr = NaN;
      refuses(() => new CLASSES[name]!(opt, VALID[name]), `${name}: invalid optimizer.lr NaN; expected a finite number >= 0`);
      expect(opt.lr).toBeNaN();
    });
  }
});

describe('schedule options objects are checked', () => {
  for (const [name, key] of Object.entries(REQUIRED)) {
    it(`${name} without options names the required option ${key}`, () => {
      refuses(() => new CLASSES[name]!(new SGD([], { lr: 0.1 })), `${name}: got options undefined; expected an object with ${key} (`);
    });
    it(`${name} with {} says option ${key} is missing`, () => {
      refuses(() => make(name, {}), `${name}: option ${key} is missing (got undefined); expected`);
      refuses(() => make(name, { [key]: null }), `${name}: option ${key} is missing (got null)`);
    });
  }
  for (const name of NAMES) {
    it(`${name} refuses options that are not an object`, () => {
      for (const [bad, shown] of [
        [5, '5'],
        ['x', '"x" \\(a string\\)'],
        [[], 'an array of length 0'],
        [null, 'null'],
      ] as const) {
        refuses(() => make(name, bad), new RegExp(`^${name}: options must be an object of option values, got ${shown}$`));
      }
    });
    it(`${name} refuses an unknown option and a 'name' option`, () => {
      const takes = name === 'PlateauLR' ? 'mode, factor' : Object.keys(VALID[name]!)[0]!;
      refuses(() => make(name, { ...VALID[name], gama: 0.5 }), `${name}: unknown option 'gama'; ${name} takes ${takes}`);
      refuses(() => make(name, { ...VALID[name], name }), `${name}: unknown option 'name'; ${name} takes`);
    });
    it(`${name} keeps accepting an unknown key whose value is undefined (as optimizers do)`, () => {
      expect(() => make(name, { ...VALID[name], other: undefined })).not.toThrow();
    });
  }
  it('a PyTorch spelling names the tapegrad option', () => {
    refuses(() => make('StepLR', { step_size: 2 }), "StepLR: unknown option 'step_size' (use stepSize); StepLR takes stepSize, gamma");
    refuses(() => make('CosineAnnealingLR', { tMax: 3, eta_min: 0.1 }), "unknown option 'eta_min' (use etaMin)");
    refuses(() => make('CosineAnnealingLR', { T_max: 3 }), "unknown option 'T_max' (use tMax)");
    refuses(() => make('LinearWarmup', { total_iters: 3 }), "LinearWarmup: unknown option 'total_iters' (use warmupSteps)");
    refuses(() => make('PlateauLR', { min_lr: 0.1 }), "PlateauLR: unknown option 'min_lr' (use minLr)");
    refuses(() => make('LambdaLR', { lr_lambda: () => 1 }), "LambdaLR: unknown option 'lr_lambda' (use lrLambda)");
  });
});

describe('option values', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['StepLR', { stepSize: '2' }, 'StepLR: invalid stepSize "2" (a string); expected an integer >= 1'],
    ['MultiStepLR', { milestones: 3 }, 'MultiStepLR: invalid milestones 3; expected an array of non-negative integers'],
    ['MultiStepLR', { milestones: '37' }, 'MultiStepLR: invalid milestones "37" (a string); expected an array'],
    ['MultiStepLR', { milestones: [1, NaN] }, 'MultiStepLR: milestones[1] is NaN; expected a non-negative integer (an epoch)'],
    ['MultiStepLR', { milestones: ['3'] }, 'MultiStepLR: milestones[0] is "3" (a string); expected a non-negative integer'],
    ['MultiStepLR', { milestones: [2, -1] }, 'MultiStepLR: milestones[1] is -1; expected a non-negative integer'],
    ['MultiStepLR', { milestones: [2.5] }, 'MultiStepLR: milestones[0] is 2.5; expected a non-negative integer'],
    ['MultiStepLR', { milestones: [Infinity] }, 'MultiStepLR: milestones[0] is Infinity; expected a non-negative integer'],
    ['CosineAnnealingLR', { tMax: 5, etaMin: NaN }, 'CosineAnnealingLR: invalid etaMin NaN; expected a finite number >= 0'],
    ['CosineAnnealingLR', { tMax: 5, etaMin: -0.1 }, 'CosineAnnealingLR: invalid etaMin -0.1; expected a finite number >= 0'],
    ['CosineAnnealingLR', { tMax: 5, etaMin: Infinity }, 'CosineAnnealingLR: invalid etaMin Infinity'],
    ['CosineAnnealingLR', { tMax: 5, etaMin: '0' }, 'CosineAnnealingLR: invalid etaMin "0" (a string)'],
    ['CosineAnnealingLR', { tMax: NaN }, 'CosineAnnealingLR: invalid tMax NaN; expected a finite number > 0'],
    ['CosineAnnealingLR', { tMax: Infinity }, 'CosineAnnealingLR: invalid tMax Infinity; expected a finite number > 0'],
    ['CosineAnnealingLR', { tMax: '5' }, 'CosineAnnealingLR: invalid tMax "5" (a string); expected a finite number > 0'],
    ['LinearWarmup', { warmupSteps: '5' }, 'LinearWarmup: invalid warmupSteps "5" (a string); expected an integer >= 1'],
    ['LinearWarmup', { startFactor: '0.5' }, 'LinearWarmup: invalid startFactor "0.5" (a string); expected a number in (0, 1]'],
    ['PlateauLR', { patience: NaN }, 'PlateauLR: invalid patience NaN; expected a non-negative integer'],
    ['PlateauLR', { patience: -1 }, 'PlateauLR: invalid patience -1; expected a non-negative integer'],
    ['PlateauLR', { patience: 1.5 }, 'PlateauLR: invalid patience 1.5; expected a non-negative integer'],
    ['PlateauLR', { patience: '3' }, 'PlateauLR: invalid patience "3" (a string); expected a non-negative integer'],
    ['PlateauLR', { cooldown: NaN }, 'PlateauLR: invalid cooldown NaN; expected a non-negative integer'],
    ['PlateauLR', { cooldown: -2 }, 'PlateauLR: invalid cooldown -2; expected a non-negative integer'],
    ['PlateauLR', { cooldown: 0.5 }, 'PlateauLR: invalid cooldown 0.5; expected a non-negative integer'],
    ['PlateauLR', { cooldown: '1' }, 'PlateauLR: invalid cooldown "1" (a string); expected a non-negative integer'],
    ['PlateauLR', { threshold: NaN }, 'PlateauLR: invalid threshold NaN; expected a finite number >= 0'],
    ['PlateauLR', { threshold: -1e-4 }, 'PlateauLR: invalid threshold -0.0001; expected a finite number >= 0'],
    ['PlateauLR', { minLr: NaN }, 'PlateauLR: invalid minLr NaN; expected a finite number >= 0'],
    ['PlateauLR', { minLr: -1 }, 'PlateauLR: invalid minLr -1; expected a finite number >= 0'],
    ['PlateauLR', { eps: NaN }, 'PlateauLR: invalid eps NaN; expected a finite number >= 0'],
    ['PlateauLR', { eps: -1 }, 'PlateauLR: invalid eps -1; expected a finite number >= 0'],
    ['PlateauLR', { factor: '0.5' }, 'PlateauLR: invalid factor "0.5" (a string); expected a finite number in [0, 1)'],
  ];
  for (const [name, options, message] of cases) {
    const shown = JSON.stringify(options, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
    it(`${name} refuses ${shown}`, () => {
      const opt = new SGD([], { lr: 0.5 });
      refuses(() => new CLASSES[name]!(opt, options), message);
      expect(opt.lr).toBe(0.5);
    });
  }
  it('keeps refusing the gamma and endFactor values it refused before', () => {
    refuses(() => make('StepLR', { stepSize: 2, gamma: NaN }), 'StepLR: invalid gamma NaN; expected a finite number >= 0');
    refuses(() => make('ExponentialLR', { gamma: '0.5' }), 'ExponentialLR: invalid gamma "0.5" (a string); expected a finite number >= 0');
    refuses(() => make('LinearWarmup', { endFactor: NaN }), 'LinearWarmup: invalid endFactor NaN; expected a finite number >= 0');
  });
  it('MultiStepLR keeps counting a repeated milestone once per occurrence and takes any order or iterable', () => {
    const [opt, s] = make('MultiStepLR', { milestones: [3, 1, 3], gamma: 0.5 }, 1);
    const lrs = [opt.lr];
    for (let i = 0; i < 4; i++) {
      s.step();
      lrs.push(opt.lr);
    }
    expect(lrs).toEqual([1, 0.5, 0.5, 0.125, 0.125]);
    expect(make('MultiStepLR', { milestones: new Set([2]) })[1].getLr()).toBe(0.5);
    expect(make('MultiStepLR', { milestones: [] })[1].getLr()).toBe(0.5);
  });
});

describe('LambdaLR refuses a factor that is not a finite number >= 0', () => {
  for (const [bad, shown] of [
    [NaN, 'NaN'],
    [-1, '-1'],
    [Infinity, 'Infinity'],
    ['0.5', '"0.5" (a string)'],
    [undefined, 'undefined'],
  ] as const) {
    it(`at step(), when lrLambda returns ${shown}, leaving the epoch and lr unchanged`, () => {
      const [opt, s] = make('LambdaLR', { lrLambda: (e: number) => (e === 2 ? bad : 1 / (1 + e)) });
      s.step();
      refuses(() => s.step(), `LambdaLR: lrLambda(2) returned ${shown}; expected a finite number >= 0`);
      expect(s.epoch).toBe(1);
      expect(opt.lr).toBe(0.25);
    });
    it(`at construction, when lrLambda returns ${shown}, leaving the optimizer's lr unchanged`, () => {
      const opt = new SGD([], { lr: 0.5 });
      refuses(() => new LambdaLR(opt, { lrLambda: () => bad as number }), `LambdaLR: lrLambda(0) returned ${shown}`);
      expect(opt.lr).toBe(0.5);
    });
  }
  it('refuses a product with baseLr that overflows', () => {
    const opt = new SGD([], { lr: 10 });
    refuses(() => new LambdaLR(opt, { lrLambda: () => 1e308 }), 'LambdaLR: lrLambda(0) returned 1e+308, and baseLr 10 times it overflows');
    expect(opt.lr).toBe(10);
  });
});

describe('step() refuses a learning rate that overflows', () => {
  it('ExponentialLR with a huge gamma stops at the last finite lr', () => {
    const [opt, s] = make('ExponentialLR', { gamma: 1e200 }, 1);
    s.step();
    expect(opt.lr).toBe(1e200);
    refuses(() => s.step(), 'ExponentialLR.step: the learning rate for epoch 2 is Infinity; expected a finite number >= 0');
    expect(s.epoch).toBe(1);
    expect(opt.lr).toBe(1e200);
  });
});

describe('loadState checks every field before changing anything', () => {
  /** A JSON round trip of the state of `name` after two steps (with metrics for PlateauLR). */
  const saved = (name: string): Record<string, unknown> => {
    const [, s] = make(name);
    s.step(3);
    s.step(2);
    return JSON.parse(JSON.stringify(s.state()));
  };
  for (const name of NAMES) {
    const bad: [string, unknown, string][] = [
      ['epoch', 'x', `${name}.loadState: invalid epoch "x" (a string); expected a non-negative integer`],
      ['epoch', -1, `${name}.loadState: invalid epoch -1; expected a non-negative integer`],
      ['epoch', 1.5, `${name}.loadState: invalid epoch 1.5; expected a non-negative integer`],
      ['epoch', undefined, `${name}.loadState: invalid epoch undefined; expected a non-negative integer`],
      ['baseLr', undefined, `${name}.loadState: invalid baseLr undefined; expected a finite number >= 0`],
      ['baseLr', NaN, `${name}.loadState: invalid baseLr NaN; expected a finite number >= 0`],
      ['baseLr', -0.1, `${name}.loadState: invalid baseLr -0.1; expected a finite number >= 0`],
      ['baseLr', 'Infinity', `${name}.loadState: invalid baseLr "Infinity" (a string); expected a finite number >= 0`],
    ];
    for (const [field, value, message] of bad) {
      it(`${name}.loadState refuses ${field} ${String(value)} and leaves the schedule unchanged`, () => {
        const [opt, s] = make(name);
        s.step(1);
        const before = JSON.stringify(s.state());
        refuses(() => s.loadState({ ...saved(name), [field]: value } as ScheduleState), message);
        expect(JSON.stringify(s.state())).toBe(before);
        s.step(1);
        expect(Number.isFinite(opt.lr)).toBe(true);
      });
    }
    it(`${name}.loadState refuses a state that is not an object`, () => {
      const [, s] = make(name);
      for (const [v, shown] of [
        [null, 'null'],
        [5, '5'],
        ['x', '"x" \\(a string\\)'],
        [[], 'an array of length 0'],
      ] as const) {
        const message = new RegExp(`^${name}.loadState: got ${shown}; expected an object from state\\(\\)`);
        refuses(() => s.loadState(v as unknown as ScheduleState), message);
      }
      const other = { ...saved(name), name: 5 } as unknown as ScheduleState;
      refuses(() => s.loadState(other), `${name}.loadState: state is for 5; expected '${name}'`);
    });
  }
  it("the tester's StepLR state { epoch: 'x', baseLr: undefined } is refused, the lr of the next step unchanged", () => {
    const [opt, s] = make('StepLR', { stepSize: 2, gamma: 0.5 }, 1);
    const bad = { name: 'StepLR', epoch: 'x', baseLr: undefined } as unknown as ScheduleState;
    refuses(() => s.loadState(bad), 'StepLR.loadState: invalid epoch "x" (a string); expected a non-negative integer');
    s.step();
    s.step();
    expect(opt.lr).toBe(0.5);
  });
  const plateau: [string, unknown, string][] = [
    ['best', undefined, "PlateauLR.loadState: invalid best undefined; expected a number (or 'Infinity' / '-Infinity'"],
    ['best', 'NaN', 'PlateauLR.loadState: invalid best "NaN" (a string); expected a number'],
    ['best', NaN, 'PlateauLR.loadState: invalid best NaN; expected a number'],
    ['best', '', 'PlateauLR.loadState: invalid best "" (a string); expected a number'],
    ['best', '2', 'PlateauLR.loadState: invalid best "2" (a string); expected a number'],
    ['numBadEpochs', undefined, 'PlateauLR.loadState: invalid numBadEpochs undefined; expected a non-negative integer'],
    ['numBadEpochs', -1, 'PlateauLR.loadState: invalid numBadEpochs -1; expected a non-negative integer'],
    ['numBadEpochs', NaN, 'PlateauLR.loadState: invalid numBadEpochs NaN; expected a non-negative integer'],
    ['cooldownCounter', undefined, 'PlateauLR.loadState: invalid cooldownCounter undefined; expected a non-negative integer'],
    ['cooldownCounter', 0.5, 'PlateauLR.loadState: invalid cooldownCounter 0.5; expected a non-negative integer'],
  ];
  for (const [field, value, message] of plateau) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    it(`PlateauLR.loadState refuses ${field} ${shown} and leaves the schedule unchanged`, () => {
      const [, s] = make('PlateauLR');
      s.step(5);
      const before = JSON.stringify(s.state());
      const other = { ...saved('PlateauLR'), epoch: 7, baseLr: 0.25, [field]: value };
      refuses(() => s.loadState(other as ScheduleState), message);
      expect(JSON.stringify(s.state())).toBe(before);
    });
  }
  it('PlateauLR.loadState keeps accepting an infinite best (as state() writes it) in either mode', () => {
    for (const [mode, metric] of [
      ['min', -Infinity],
      ['max', Infinity],
      ['min', 3],
    ] as const) {
      const [, a] = make('PlateauLR', { mode });
      const fresh = JSON.parse(JSON.stringify(a.state()));
      a.step(metric);
      const [, b] = make('PlateauLR', { mode });
      b.loadState(JSON.parse(JSON.stringify(a.state())));
      expect((b as PlateauLR).best).toBe(metric);
      b.loadState(fresh);
      expect((b as PlateauLR).best).toBe(mode === 'min' ? Infinity : -Infinity);
    }
  });
});

const P = (grad: number[] | null): Parameter => ({
  value: new Tensor(new Float64Array(grad ? grad.length : 1), [grad ? grad.length : 1]),
  grad: grad ? new Tensor(Float64Array.from(grad), [grad.length]) : null,
});

describe('clipGradNorm / clipGradValue check their arguments', () => {
  const clips: [string, (params: unknown, limit: unknown) => unknown][] = [
    ['clipGradNorm', (params, limit) => clipGradNorm(params as Parameter[], limit as number)],
    ['clipGradValue', (params, limit) => clipGradValue(params as Parameter[], limit as number)],
  ];
  for (const [fn, clip] of clips) {
    it(`${fn} refuses params that are not an iterable of parameters`, () => {
      refuses(() => clip(undefined, 1), `${fn}: params must be an array (or iterable) of parameters such as Variables, got undefined`);
      refuses(() => clip(5, 1), `${fn}: params must be an array (or iterable) of parameters such as Variables, got 5`);
      refuses(() => clip([null], 1), `${fn}: params[0] is null; expected a parameter`);
      refuses(() => clip([P([1]), 3], 1), `${fn}: params[1] is 3; expected a parameter`);
    });
    it(`${fn} refuses a gradient that is not null or a float Tensor, before changing any`, () => {
      const good = P([30, 40]);
      const message = `${fn}: params[1].grad is an array of length 2; expected null or a Tensor`;
      refuses(() => clip([good, { value: tensor([1, 2]), grad: [1, 2] }], 1), message);
      expect(Array.from(good.grad!.data)).toEqual([30, 40]);
      const ints = { value: tensor([1, 2]), grad: tensor([3, 4], undefined, { dtype: 'int32' }) };
      refuses(() => clip([ints], 1), `${fn}: params[0].grad has dtype int32; expected a float32 or float64 gradient`);
      expect(Array.from(ints.grad.data)).toEqual([3, 4]);
    });
    it(`${fn} refuses the same parameter twice (it would be clipped twice)`, () => {
      const p = P([3, 4]);
      refuses(() => clip([p, p], 1), `${fn}: params[1] is the same parameter as params[0]`);
      expect(Array.from(p.grad!.data)).toEqual([3, 4]);
    });
    it(`${fn} refuses a limit that is a string, null or NaN`, () => {
      const what = fn === 'clipGradNorm' ? 'maxNorm' : 'clipValue';
      for (const [v, shown] of [
        ['1', '"1" \\(a string\\)'],
        [null, 'null'],
        [NaN, 'NaN'],
        [-1, '-1'],
      ] as const) {
        const p = P([3, 4]);
        refuses(() => clip([p], v), new RegExp(`^${fn}: invalid ${what} ${shown}; expected a number >= 0`));
        expect(Array.from(p.grad!.data)).toEqual([3, 4]);
      }
    });
    it(`${fn} keeps taking any iterable, null gradients and an infinite limit`, () => {
      const p = P([3, 4]);
      clip(
        (function* () {
          yield p;
          yield P(null);
        })(),
        Infinity,
      );
      expect(Array.from(p.grad!.data)).toEqual([3, 4]);
    });
  }
  it('clipGradNorm refuses a normType that is a string, 0 or NaN', () => {
    for (const [v, shown] of [
      ['2', '"2" \\(a string\\)'],
      ['inf', '"inf" \\(a string\\)'],
      [0, '0'],
      [NaN, 'NaN'],
    ] as const) {
      const p = P([3, 4]);
      const message = new RegExp(`^clipGradNorm: invalid normType ${shown}; expected a number > 0 or Infinity`);
      refuses(() => clipGradNorm([p], 1, v as number), message);
      expect(Array.from(p.grad!.data)).toEqual([3, 4]);
    }
  });
});
