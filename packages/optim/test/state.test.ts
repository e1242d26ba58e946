import { describe, expect, it } from 'vitest';
import { Tensor, ValueError } from '@tapegrad/tensor';
import { createOptimizer, optimizerNames, type Optimizer, type OptimizerState, type Parameter } from '../src/index.js';
import { golden, makeParams } from './helpers.js';

// Options that make every optimizer carry all of its state kinds.
const heavy: Record<string, Record<string, unknown>> = {
  sgd: { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 },
  iterative: { lr: 0.05 },
  momentum: { lr: 0.05 },
  rmsprop: { momentum: 0.5, centered: true },
  adagrad: { lrDecay: 0.1, initialAccumulatorValue: 0.2 },
  adam: { lr: 0.01, amsgrad: true },
  adamax: {},
  adadelta: { weightDecay: 0.1 },
  adamw: { amsgrad: true },
  nadam: { lr: 0.01 },
};

function feed(opt: Optimizer, params: Parameter[], t: number): void {
  params.forEach(
    (p, i) =>
      (p.grad = new Tensor(
        p.value.data instanceof Float32Array ? Float32Array.from(golden.fixedGrads[t]![i]!) : Float64Array.from(golden.fixedGrads[t]![i]!),
        p.value.shape,
      )),
  );
  opt.step();
}

describe('state() / loadState()', () => {
  for (const name of optimizerNames) {
    for (const flavor of ['pytorch', 'keras'] as const) {
      for (const dtype of ['float64', 'float32'] as const) {
        it(`${name} (${flavor}, ${dtype}): a resumed optimizer makes bit-identical next steps`, () => {
          const options = { ...heavy[name], flavor };
          const a = makeParams('fixed', dtype);
          const optA = createOptimizer(name, a, options);
          for (let t = 0; t < 4; t++) feed(optA, a, t);
          const json = JSON.parse(JSON.stringify(optA.state()));
          expect(json.iterations).toBe(4);
          expect(json.slots[0].step).toBe(4);
          // resume into a fresh optimizer over copies of the current values
          const b: Parameter[] = a.map((p) => ({ value: p.value.clone(), grad: null }));
          const optB = createOptimizer(name, b, options);
          optB.loadState(json);
          expect(optB.state()).toEqual(optA.state());
          for (let t = 4; t < 10; t++) {
            feed(optA, a, t);
            feed(optB, b, t);
            a.forEach((p, i) => expect(b[i]!.value.equals(p.value), `step ${t + 1}`).toBe(true));
          }
          // and the state really matters: a fresh optimizer diverges (except stateless plain descent)
          if (name !== 'iterative') {
            const c: Parameter[] = makeParams('fixed', dtype);
            const optC = createOptimizer(name, c, options);
            for (let t = 0; t < 4; t++) feed(optC, c, t);
            const d: Parameter[] = c.map((p) => ({ value: p.value.clone(), grad: null }));
            const optD = createOptimizer(name, d, options);
            feed(optC, c, 4);
            feed(optD, d, 4);
            expect(d[0]!.value.equals(c[0]!.value)).toBe(false);
          }
        });
      }
    }
  }

  it('state buffers keep the parameter dtype', () => {
    const p = makeParams('fixed', 'float32');
    const opt = createOptimizer('adam', p);
    feed(opt, p, 0);
    expect(opt.state().slots[0]!.buffers['expAvg']!.dtype).toBe('float32');
  });

  it('loadState rejects another optimizer’s state and wrong sizes', () => {
    const p = makeParams('fixed');
    const adam = createOptimizer('adam', p);
    feed(adam, p, 0);
    expect(() => createOptimizer('sgd', p).loadState(adam.state())).toThrow(/state is for 'adam'.*expected 'sgd'/);
    const other = createOptimizer('adam', [{ value: new Tensor(new Float64Array(5), [5]), grad: null }]);
    expect(() => other.loadState(adam.state())).toThrow(/has 6 elements; expected 5/);
    expect(() => other.loadState(null as unknown as OptimizerState)).toThrow(ValueError);
    expect(() => other.loadState({} as OptimizerState)).toThrow("adam.loadState: got an object without a 'slots' array; expected");
  });

  it('non-finite state is written without loss through JSON but refused on load (it would only spread NaN)', () => {
    const p: Parameter[] = [{ value: new Tensor(Float64Array.from([1, 2]), [2]), grad: new Tensor(Float64Array.from([Infinity, 1]), [2]) }];
    const opt = createOptimizer('adagrad', p);
    opt.step();
    const s = JSON.parse(JSON.stringify(opt.state()));
    expect(s.slots[0].buffers.sum.data[0]).toBe('Infinity');
    const q: Parameter[] = [{ value: new Tensor(Float64Array.from([1, 2]), [2]), grad: null }];
    const opt2 = createOptimizer('adagrad', q);
    expect(() => opt2.loadState(s)).toThrow(
      'adagrad.loadState: slots[0].buffers.sum.data[0] (parameter 0) is "Infinity" (a string); expected a finite number',
    );
    expect(opt2.state().slots).toEqual([]);
  });
});

describe('step(), update(), setParams()', () => {
  it('update() leaves its inputs untouched and accepts non-contiguous gradients', () => {
    const x = new Tensor(Float64Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    const gBase = new Tensor(Float64Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), [3, 2]);
    const g = gBase.transpose(); // shape [2, 3], strided
    const opt = createOptimizer('sgd', undefined, { lr: 0.5 });
    const [y] = opt.update([x], [g]);
    expect(Array.from(x.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(gBase.data)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    // g as a matrix is [[0.1,0.3,0.5],[0.2,0.4,0.6]]
    expect(Array.from(y!.data)).toEqual([1 - 0.05, 2 - 0.15, 3 - 0.25, 4 - 0.1, 5 - 0.2, 6 - 0.3]);
  });

  it('step() honours the value offset and an expanded gradient', () => {
    const storage = Float64Array.from([9, 9, 1, 2, 3]);
    const value = new Tensor(storage, [3], [1], 2);
    const grad = new Tensor(Float64Array.from([1]), [1]).expand([3]);
    const p: Parameter = { value, grad };
    createOptimizer('sgd', [p], { lr: 0.5 }).step();
    expect(Array.from(storage)).toEqual([9, 9, 0.5, 1.5, 2.5]);
  });

  it('skips parameters without a gradient and counts steps per parameter', () => {
    const p = makeParams('fixed');
    const opt = createOptimizer('adam', p);
    p[0]!.grad = new Tensor(Float64Array.from(golden.fixedGrads[0]![0]!), [2, 3]);
    const before = Array.from(p[1]!.value.data);
    opt.step();
    expect(Array.from(p[1]!.value.data)).toEqual(before);
    expect(opt.state().slots[0]!.step).toBe(1);
    expect(opt.state().slots[1] ?? null).toBeNull();
    opt.zeroGrad();
    expect(p[0]!.grad).toBeNull();
  });

  it('setParams rebinds and resets state', () => {
    const p = makeParams('fixed');
    const opt = createOptimizer('momentum', p);
    feed(opt, p, 0);
    const q = makeParams('quadratic');
    opt.setParams(q);
    expect(opt.params).toEqual(q);
    expect(opt.state().slots).toEqual([]);
  });

  it('setParams with keepState moves the state of each parameter with it (PyTorch keys state by parameter)', () => {
    const p = makeParams('fixed');
    const opt = createOptimizer('adam', p, { lr: 0.01 });
    feed(opt, p, 0);
    const before = opt.state().slots;
    const q = makeParams('quadratic');
    opt.setParams([q[0]!, p[1]!, p[0]!], { keepState: true }); // reordered, with one new parameter
    const after = opt.state().slots;
    expect(after[0] ?? null).toBeNull();
    expect(after[1]).toEqual(before[1]);
    expect(after[2]).toEqual(before[0]);
    // stepping p[0] from its new position equals stepping it where it was
    const ref = createOptimizer('adam', makeParams('fixed'), { lr: 0.01 });
    feed(ref, ref.params, 0);
    p[0]!.grad = new Tensor(Float64Array.from(golden.fixedGrads[1]![0]!), [2, 3]);
    p[1]!.grad = null;
    opt.step();
    ref.params[0]!.grad = new Tensor(Float64Array.from(golden.fixedGrads[1]![0]!), [2, 3]);
    ref.step();
    expect(Array.from(p[0]!.value.data)).toEqual(Array.from(ref.params[0]!.value.data));
    expect(() => opt.setParams(p, { keepstate: true } as never)).toThrow(/adam.setParams: unknown option 'keepstate'/i);
    expect(() => opt.setParams(p, { keepState: 'yes' } as never)).toThrow(/keepState must be a boolean/);
  });

  it('errors: wrong grad shape, int32 value, grad/param count mismatch', () => {
    const p: Parameter = { value: new Tensor(new Float64Array(6), [2, 3]), grad: new Tensor(new Float64Array(6), [3, 2]) };
    expect(() => createOptimizer('adam', [p]).step()).toThrow(/gradient 0 has shape \[3, 2\]; expected the parameter's shape \[2, 3\]/);
    const q: Parameter = { value: new Tensor(new Int32Array(2), [2]), grad: new Tensor(new Float64Array(2), [2]) };
    expect(() => createOptimizer('sgd', [q]).step()).toThrow(/dtype int32/);
    expect(() => createOptimizer('sgd').update([p.value], [])).toThrow(/1 parameters but 0 gradients/);
    const t: Parameter = { value: new Tensor(new Float64Array(6), [2, 3]).transpose(), grad: new Tensor(new Float64Array(6), [3, 2]) };
    expect(() => createOptimizer('sgd', [t]).step()).toThrow(/parameter 0 value .* is not contiguous/);
  });
});
