/**
 * The op table, the fused ops the nn layers train with: `linear` (a dense layer's x·W + b as one tape entry),
 * `softmaxCrossEntropy` and `sigmoidCrossEntropy`. Their formulas are the math; their fast paths live in `fused/`.
 */
import * as K from '@tapegrad/tensor';
import { DTypeError, ShapeError, ValueError, fmtShape, type Tensor } from '@tapegrad/tensor';
import { Variable, type Operand } from '../core.js';
import { fusedLinearBackward, fusedLinearForward } from '../fused/linear.js';
import { fusedCrossEntropyBackward, fusedCrossEntropyForward, type CrossEntropyTargets } from '../fused/softmax-cross-entropy.js';
import { constant, toVariable } from '../variable.js';
import { softmax } from './reduce.js';
import { primitive, type OpFunction } from './spec.js';

/** `v` as rows of `n` columns (all leading axes merged). */
const rows = (v: Variable, n: number): Variable => v.reshape([-1, n]);

/** A dense layer's affine map `x·W + b` as one tape entry (W has shape [in, out]). */
export const linear: OpFunction<[x: Operand, w: Operand, b?: Operand | null]> = primitive({
  name: 'linear',
  math: 'y = x·W + b   ∂x = g·Wᵀ   ∂W = xᵀ·g (rows of all batch axes)   ∂b = Σ_rows g   ẏ = ẋ·W + x·Ẇ + ḃ',
  names: ['x', 'w', 'b'],
  args: (x: Operand, w: Operand, b?: Operand | null) => {
    const vx = toVariable(x, undefined, 'linear');
    const vw = toVariable(w, vx, 'linear');
    if (vw.ndim !== 2) throw new ShapeError(`linear: weight must be 2-D [in, out], got ${fmtShape(vw.shape)}`);
    if (vx.ndim === 0 || vx.shape[vx.ndim - 1] !== vw.shape[0]) {
      throw new ShapeError(`linear: input ${fmtShape(vx.shape)} does not end in ${vw.shape[0]} (weight ${fmtShape(vw.shape)})`);
    }
    if (b === undefined || b === null) return { inputs: [vx, vw], params: undefined };
    const vb = toVariable(b, vx, 'linear');
    if (vb.ndim > 1 || (vb.ndim === 1 && vb.shape[0] !== vw.shape[1])) {
      throw new ShapeError(`linear: bias ${fmtShape(vb.shape)} must be [${vw.shape[1]}] for weight ${fmtShape(vw.shape)}`);
    }
    return { inputs: [vx, vw, vb], params: undefined };
  },
  forward: fusedLinearForward,
  vjp: [(g, { w }) => g.matmul(w.T), (g, { x, w }) => rows(x, w.shape[0]!).T.matmul(rows(g, w.shape[1]!)), (g, { b }) => g.sumTo(b.shape)],
  jvp: [(dx, { w }) => linear(dx, w), (dw, { x }) => linear(x, dw), (db) => db],
  fastBackward: fusedLinearBackward,
});

/** The one-hot rows the targets stand for (class indices become one-hot rows of `c` classes). */
function targetRows({ targets, labels }: CrossEntropyTargets, z: Variable): Tensor {
  return targets ?? K.oneHot(K.tensor(labels!, [labels!.length], { dtype: 'int32' }), z.shape[1]!, { dtype: z.dtype });
}

/** softmax(z)·Σ_c t − t: N times the gradient of the loss for g = 1. */
function slope(z: Variable, c: CrossEntropyTargets): Variable {
  const t = targetRows(c, z);
  return softmax(z, -1)
    .mul(constant(K.sum(t, -1, true)))
    .sub(constant(t));
}

/**
 * Mean over the batch of the cross-entropy between softmax(logits) and the targets, fused and stable.
 * `targets` are one-hot (or probability) rows of shape [N, C], or int32 class indices of shape [N].
 * @example softmaxCrossEntropy(logits, tensor([2, 0, 1], undefined, { dtype: 'int32' }))
 */
export const softmaxCrossEntropy: OpFunction<[logits: Operand, targets: Tensor | Variable]> = primitive({
  name: 'softmaxCrossEntropy',
  math: 'y = −(1/N) Σₙ Σ_c t·log softmax(z)   ∂z = g·(softmax(z)·Σ_c t − t)/N   ẏ = Σ ż·(softmax(z)·Σ_c t − t)/N',
  names: ['z'],
  args: (logits: Operand, targets: Tensor | Variable) => {
    let z = toVariable(logits, undefined, 'softmaxCrossEntropy');
    if (z.ndim !== 2) throw new ShapeError(`softmaxCrossEntropy: logits must be [batch, classes], got ${fmtShape(z.shape)}`);
    if (z.dtype === 'int32') z = new Variable(z.value.astype('float32')); // integer logits: a float32 constant
    const [n, c] = z.shape as [number, number];
    let t = targets instanceof Variable ? targets.value : targets;
    if (t.dtype === 'int32') {
      if (t.ndim !== 1 || t.shape[0] !== n) {
        const got = fmtShape(t.shape);
        throw new ShapeError(`softmaxCrossEntropy: class indices must have shape [${n}] for logits ${fmtShape(z.shape)}, got ${got}`);
      }
      const labels = t.values();
      for (let i = 0; i < labels.length; i++) {
        if (labels[i]! < 0 || labels[i]! >= c) {
          throw new ValueError(`softmaxCrossEntropy: label ${labels[i]} at position ${i} is outside [0, ${c}) for ${c} classes`);
        }
      }
      return { inputs: [z], params: { targets: null, labels: Int32Array.from(labels) } };
    }
    if (t.ndim !== 2 || t.shape[0] !== n || t.shape[1] !== c) {
      throw new ShapeError(
        `softmaxCrossEntropy: one-hot targets must have shape ${fmtShape(z.shape)} like the logits, got ${fmtShape(t.shape)}`,
      );
    }
    if (t.dtype !== z.dtype) t = t.astype(z.dtype);
    return { inputs: [z], params: { targets: t, labels: null } };
  },
  forward: fusedCrossEntropyForward,
  vjp: [(g, c) => slope(c.z, c).mul(g.div(c.z.shape[0]!))],
  jvp: [(dz, c) => slope(c.z, c).mul(dz).sum().div(c.z.shape[0]!)],
  fastBackward: fusedCrossEntropyBackward,
});

/** σ(z) − t: N times the gradient of the mean binary cross-entropy for g = 1 (smooth everywhere, z = 0 included). */
const sigmoidSlope = (z: Variable, t: Variable): Variable => z.sigmoid().sub(t);

/**
 * Mean over all elements of the binary cross-entropy between sigmoid(logits) and the targets (probabilities in
 * [0, 1] of the logits' shape; constant targets take the logits' dtype): PyTorch's `binary_cross_entropy_with_logits`.
 * Each element is max(z, 0) − z·t + ln(1 + e^(−|z|)), stable and exact for large |z|, and its derivative is σ(z) − t
 * everywhere — also at z = 0, where the pieces max(z, 0) and |z| have kinks that cancel. Targets may be a Variable
 * (∂t = −z/N).
 * @example sigmoidCrossEntropy(logits, tensor([[1], [0]]))
 */
export const sigmoidCrossEntropy: OpFunction<[logits: Operand, targets: Operand]> = primitive({
  name: 'sigmoidCrossEntropy',
  math: 'y = (1/N) Σ (max(z, 0) − z·t + ln(1 + e^(−|z|)))   ∂z = g·(σ(z) − t)/N   ∂t = −g·z/N   ẏ = Σ (ż·(σ(z) − t) − ṫ·z)/N',
  names: ['z', 't'],
  args: (logits: Operand, targets: Operand) => {
    let z = toVariable(logits, undefined, 'sigmoidCrossEntropy');
    if (z.dtype === 'int32') z = new Variable(z.value.astype('float32')); // integer logits: a float32 constant
    let t = toVariable(targets, z, 'sigmoidCrossEntropy');
    if (t.dtype !== z.dtype) {
      if (t.requiresGrad) {
        throw new DTypeError(`sigmoidCrossEntropy: targets that need a gradient must have the logits' dtype ${z.dtype}, got ${t.dtype}`);
      }
      t = new Variable(t.value.astype(z.dtype)); // constant targets (labels) take the logits' dtype, as in softmaxCrossEntropy
    }
    if (t.ndim !== z.ndim || t.shape.some((d, i) => d !== z.shape[i])) {
      throw new ShapeError(`sigmoidCrossEntropy: targets ${fmtShape(t.shape)} must have the shape of the logits ${fmtShape(z.shape)}`);
    }
    if (z.size === 0) throw new ShapeError(`sigmoidCrossEntropy: logits ${fmtShape(z.shape)} are empty; the mean needs an element`);
    return { inputs: [z, t], params: undefined };
  },
  forward: ([z, t]) => K.mean(K.add(K.sub(K.relu(z!), K.mul(z!, t!)), K.softplus(K.neg(K.abs(z!))))),
  vjp: [(g, { z, t }) => sigmoidSlope(z, t).mul(g.div(z.size)), (g, { z }) => z.mul(g.div(-z.size))],
  jvp: [(dz, { z, t }) => sigmoidSlope(z, t).mul(dz).sum().div(z.size), (dt, { z }) => z.mul(dt).sum().div(-z.size)],
});
