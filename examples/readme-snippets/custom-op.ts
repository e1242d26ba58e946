import { defineOp, gradcheck, gradgradcheck, variable } from '@tapegrad/autograd';
import { abs, add, exp, log1p, mul, randn, sub } from '@tapegrad/tensor';

/** log cosh(x) = |x| + log1p(e^(−2|x|)) − log 2 (no overflow for large |x|); d/dx log cosh(x) = tanh(x). */
export const logCosh = defineOp({
  name: 'logCosh',
  forward: ([x]) => sub(add(abs(x), log1p(exp(mul(abs(x), -2)))), Math.LN2), // tensor kernels
  backward: (g, { inputs: [x] }) => [g.mul(x.tanh())], // Variable ops, so it can be differentiated again
});

const x = randn([3, 4], { dtype: 'float64' });
console.log(gradcheck((v) => logCosh(v).sum(), [x]).ok, gradgradcheck(logCosh, [x]).ok); // true true
console.log(logCosh(variable([-1000, 0, 1000])).toArray()); // [ 999.3068…, 0, 999.3068… ]
