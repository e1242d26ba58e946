import * as K from '@tapegrad/tensor';
import { ShapeError, ValueError, fmtShape, type Tensor } from '@tapegrad/tensor';
import { apply, type Op } from '../op.js';
import { constant, toVariable, type Operand } from '../variable.js';
import { Variable } from '../variable.js';
import { softmax } from './reduce.js';
import { sumTo } from './shape.js';

/** y = x·W + b   ∂x = g·Wᵀ   ∂W = xᵀ·g (rows of all batch dimensions)   ∂b = Σ_rows g */
export const Linear: Op = {
  name: 'linear',
  forward: ([x, w, b]) => {
    const y = K.matmul(x, w);
    return b ? K.add(y, b) : y;
  },
  backward: (g, { inputs: [x, w, b] }) => {
    const rows = (v: Variable, n: number): Variable => v.reshape([-1, n]);
    return [
      x.requiresGrad ? g.matmul(w.T) : null,
      w.requiresGrad ? rows(x, w.shape[0]!).T.matmul(rows(g, w.shape[1]!)) : null,
      ...(b ? [b.requiresGrad ? sumTo(g, b.shape) : null] : []),
    ];
  },
};

/**
 * y = −(1/N) Σₙ Σ_c t·log softmax(z)   ∂z = g·(softmax(z)·Σ_c t − t)/N
 * (t one-hot, or any rows of class weights; a constant).
 */
export const SoftmaxCrossEntropy = (targets: Tensor): Op => ({
  name: 'softmaxCrossEntropy',
  forward: ([z]) => {
    const n = z.shape[0]!;
    return K.mul(K.sum(K.mul(targets, K.logSoftmax(z, -1))), -1 / n);
  },
  backward: (g, { inputs: [z] }) => {
    const n = z.shape[0]!;
    const rowSum = constant(K.sum(targets, -1, true));
    return [softmax(z, -1).mul(rowSum).sub(constant(targets)).mul(g.div(n))];
  },
});

/** A dense layer's affine map `x·W + b` as one tape entry (W has shape [in, out]). */
export function linear(x: Operand, w: Operand, b?: Operand | null): Variable {
  const vx = toVariable(x);
  const vw = toVariable(w, vx);
  if (vw.ndim !== 2) throw new ShapeError(`linear: weight must be 2-D [in, out], got ${fmtShape(vw.shape)}`);
  if (vx.ndim === 0 || vx.shape[vx.ndim - 1] !== vw.shape[0]) {
    throw new ShapeError(`linear: input ${fmtShape(vx.shape)} does not end in ${vw.shape[0]} (weight ${fmtShape(vw.shape)})`);
  }
  if (b === undefined || b === null) return apply(Linear, [vx, vw]);
  const vb = toVariable(b, vx);
  if (vb.ndim > 1 || (vb.ndim === 1 && vb.shape[0] !== vw.shape[1])) {
    throw new ShapeError(`linear: bias ${fmtShape(vb.shape)} must be [${vw.shape[1]}] for weight ${fmtShape(vw.shape)}`);
  }
  return apply(Linear, [vx, vw, vb]);
}

/**
 * Mean over the batch of the cross-entropy between softmax(logits) and the targets, fused and stable.
 * `targets` are one-hot (or probability) rows of shape [N, C], or int32 class indices of shape [N].
 * @example softmaxCrossEntropy(logits, tensor([2, 0, 1], undefined, { dtype: 'int32' }))
 */
export function softmaxCrossEntropy(logits: Operand, targets: Tensor | Variable): Variable {
  const z = toVariable(logits);
  if (z.ndim !== 2) throw new ShapeError(`softmaxCrossEntropy: logits must be [batch, classes], got ${fmtShape(z.shape)}`);
  const [n, c] = z.shape as [number, number];
  let t = targets instanceof Variable ? targets.value : targets;
  if (t.dtype === 'int32') {
    if (t.ndim !== 1 || t.shape[0] !== n) {
      throw new ShapeError(`softmaxCrossEntropy: class indices must have shape [${n}] for logits ${fmtShape(z.shape)}, got ${fmtShape(t.shape)}`);
    }
    const labels = t.values();
    for (let i = 0; i < labels.length; i++) {
      if (labels[i]! < 0 || labels[i]! >= c) {
        throw new ValueError(`softmaxCrossEntropy: label ${labels[i]} at position ${i} is outside [0, ${c}) for ${c} classes`);
      }
    }
    t = K.oneHot(t, c, { dtype: z.dtype });
  } else {
    if (t.ndim !== 2 || t.shape[0] !== n || t.shape[1] !== c) {
      throw new ShapeError(`softmaxCrossEntropy: one-hot targets must have shape ${fmtShape(z.shape)} like the logits, got ${fmtShape(t.shape)}`);
    }
    if (t.dtype !== z.dtype) t = t.astype(z.dtype);
  }
  return apply(SoftmaxCrossEntropy(t), [z]);
}
