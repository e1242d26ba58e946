/**
 * Installs the kernels as {@link Tensor} methods (`a.add(b)`, `a.sum(1, { keepDims: true })`, `a.matmul(b)`,
 * `toString()`), declared by {@link TensorMethods} in `tensor.ts`: each calls the free function of the same name.
 * They live here, not in `tensor.ts`, because the kernels import `Tensor` (so `tensor.ts` imports no kernel:
 * no import cycle); the package entry imports this module first, so the methods exist for every user of
 * `@tapegrad/tensor`.
 */
import * as E from './kernels/elementwise.js';
import { formatTensor } from './kernels/format.js';
import { matmul } from './kernels/matmul.js';
import * as R from './kernels/reduce.js';
import * as S from './kernels/shape-ops.js';
import { Tensor, type KeepDims, type TensorMethods } from './tensor.js';

const keep = (k: KeepDims | undefined): boolean => (typeof k === 'object' ? (k.keepDims ?? false) : (k ?? false));

// One line per case: the table reads as a table.
// prettier-ignore
const methods: TensorMethods & ThisType<Tensor> = {
  add(other, options) { return E.add(this, other, options); },
  sub(other, options) { return E.sub(this, other, options); },
  mul(other, options) { return E.mul(this, other, options); },
  div(other, options) { return E.div(this, other, options); },
  pow(other, options) { return E.pow(this, other, options); },
  maximum(other, options) { return E.maximum(this, other, options); },
  minimum(other, options) { return E.minimum(this, other, options); },
  eq(other, options) { return E.eq(this, other, options); },
  ne(other, options) { return E.ne(this, other, options); },
  lt(other, options) { return E.lt(this, other, options); },
  le(other, options) { return E.le(this, other, options); },
  gt(other, options) { return E.gt(this, other, options); },
  ge(other, options) { return E.ge(this, other, options); },
  neg() { return E.neg(this); },
  abs() { return E.abs(this); },
  sign() { return E.sign(this); },
  exp() { return E.exp(this); },
  log() { return E.log(this); },
  log1p() { return E.log1p(this); },
  sqrt() { return E.sqrt(this); },
  square() { return E.square(this); },
  reciprocal() { return E.reciprocal(this); },
  sin() { return E.sin(this); },
  cos() { return E.cos(this); },
  tanh() { return E.tanh(this); },
  sigmoid() { return E.sigmoid(this); },
  relu() { return E.relu(this); },
  clip(min, max) { return E.clip(this, min, max); },
  sum(axes, keepDims) { return R.sum(this, axes, keep(keepDims)); },
  mean(axes, keepDims) { return R.mean(this, axes, keep(keepDims)); },
  max(axes, keepDims) { return R.max(this, axes, keep(keepDims)); },
  min(axes, keepDims) { return R.min(this, axes, keep(keepDims)); },
  prod(axes, keepDims) { return R.prod(this, axes, keep(keepDims)); },
  logsumexp(axes, keepDims) { return R.logsumexp(this, axes, keep(keepDims)); },
  variance(axes, options) { return R.variance(this, axes, options); },
  std(axes, options) { return R.std(this, axes, options); },
  argmax(axis, keepDims) { return R.argmax(this, axis, keep(keepDims)); },
  argmin(axis, keepDims) { return R.argmin(this, axis, keep(keepDims)); },
  softmax(axis = -1) { return R.softmax(this, axis); },
  logSoftmax(axis = -1) { return R.logSoftmax(this, axis); },
  sumTo(shape) { return R.sumTo(this, shape); },
  matmul(other) { return matmul(this, other); },
  take(indices, axis) { return S.take(this, indices, axis); },
  gather(indices, axis) { return S.gather(this, indices, axis); },
  toString() { return formatTensor(this); },
};

// Defined like class methods (non-enumerable), so `for…in`, spreading and test equality see only the fields.
const define = (key: PropertyKey, value: unknown): void => {
  Object.defineProperty(Tensor.prototype, key, { value, writable: true, configurable: true, enumerable: false });
};
for (const [name, fn] of Object.entries(methods)) define(name, fn);
/** How Node's `console.log` / `util.inspect` shows a tensor: the same text as `toString()`. */
define(Symbol.for('nodejs.util.inspect.custom'), function inspect(this: Tensor): string {
  return formatTensor(this);
});
