import { describe, expect, it } from 'vitest';
import { parameter } from '@tapegrad/autograd';
import { Tensor, tensor } from '@tapegrad/tensor';
import { Adam, type Parameter } from '../src/index.js';

describe('with @tapegrad/autograd Variables', () => {
  it('a Variable is a Parameter: Adam on ‖x − c‖² via backward() equals the hand-written gradient 2(x − c)', () => {
    const c = tensor([1, -2, 3], undefined, { dtype: 'float64' });
    const x = parameter(tensor([0, 0, 0], undefined, { dtype: 'float64' }));
    const opt = new Adam([x], { lr: 0.1 });
    const y: Parameter = { value: tensor([0, 0, 0], undefined, { dtype: 'float64' }), grad: null };
    const ref = new Adam([y], { lr: 0.1 });
    for (let t = 0; t < 50; t++) {
      opt.zeroGrad();
      x.sub(c).square().sum().backward();
      opt.step();
      const yv = y.value.data;
      y.grad = new Tensor(Float64Array.from([2 * (yv[0]! - 1), 2 * (yv[1]! + 2), 2 * (yv[2]! - 3)]), [3]);
      ref.step();
      expect(Array.from(x.value.data)).toEqual(Array.from(y.value.data));
    }
    expect(Math.abs(x.value.data[1]! + 2)).toBeLessThan(0.5);
  });
});
