import * as K from '@tapegrad/tensor';
import { addRowVector, columnSum, gemm } from '@tapegrad/tensor/backend';
import { ShapeError, ValueError, fmtShape, type Tensor } from '@tapegrad/tensor';
import { markFresh, newLike, type FloatArray } from '../fast.js';
import { isGradEnabled } from '../grad-mode.js';
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
    if (!b) return y;
    // The product is a fresh contiguous tensor: add a 1-D bias of the same dtype into it in place (backend kernel).
    if (b.ndim === 1 && b.dtype === y.dtype && b.isContiguous && y.dtype !== 'int32' && y.size > 0) {
      const cols = b.shape[0]!;
      addRowVector(y.data as FloatArray, 0, y.size / cols, cols, b.data as FloatArray, b.offset, y.data as FloatArray, 0);
      return y;
    }
    return K.add(y, b);
  },
  backward: (g, { inputs: [x, w, b] }) => {
    if (!isGradEnabled()) {
      const fast = linearBackwardFast(g.value, x, w, b);
      if (fast !== null) return fast;
    }
    const rows = (v: Variable, n: number): Variable => v.reshape([-1, n]);
    return [
      x.requiresGrad ? g.matmul(w.T) : null,
      w.requiresGrad ? rows(x, w.shape[0]!).T.matmul(rows(g, w.shape[1]!)) : null,
      ...(b ? [b.requiresGrad ? sumTo(g, b.shape) : null] : []),
    ];
  },
};

/**
 * The backward of {@link Linear} as three kernels (no graph recorded, nothing transposed in memory):
 * ∂x = g·Wᵀ and ∂W = xᵀ·g by GEMM with transpose flags, ∂b a column sum (backend kernels); only for the inputs that require
 * a gradient. The results are fresh tensors the engine may keep as leaf gradients. Null when the dtypes
 * are mixed (the differentiable formulas handle those).
 */
function linearBackwardFast(gt: Tensor, x: Variable, w: Variable, b: Variable | undefined): (Variable | null)[] | null {
  const X = x.value;
  const W = w.value;
  const dtype = gt.dtype;
  if (dtype === 'int32' || X.dtype !== dtype || W.dtype !== dtype || (b && (b.dtype !== dtype || b.ndim !== 1))) return null;
  const nIn = W.shape[0]!;
  const nOut = W.shape[1]!;
  const rows = nOut === 0 ? 0 : gt.size / nOut;
  const empty = rows === 0 || nIn === 0 || nOut === 0; // the zero-filled results are the gradients
  const G = gt.contiguous();
  const ga = G.data as FloatArray;
  const go = G.offset;
  let dx: Variable | null = null;
  let dw: Variable | null = null;
  let db: Variable | null = null;
  if (x.requiresGrad) {
    const Wc = W.contiguous();
    const out = newLike(ga, X.size, X.shape);
    if (!empty) gemm(false, true, rows, nIn, nOut, ga, go, nOut, Wc.data as FloatArray, Wc.offset, nOut, out.data as FloatArray, 0, nIn);
    dx = new Variable(markFresh(out));
  }
  if (w.requiresGrad) {
    const Xc = X.contiguous();
    const out = newLike(ga, nIn * nOut, W.shape);
    if (!empty) gemm(true, false, nIn, nOut, rows, Xc.data as FloatArray, Xc.offset, nIn, ga, go, nOut, out.data as FloatArray, 0, nOut);
    dw = new Variable(markFresh(out));
  }
  if (b && b.requiresGrad) {
    const out = newLike(ga, nOut, b.shape);
    if (!empty) columnSum(ga, go, rows, nOut, out.data as FloatArray, 0);
    db = new Variable(markFresh(out));
  }
  return b ? [dx, dw, db] : [dx, dw];
}

/**
 * y = −(1/N) Σₙ Σ_c t·log softmax(z)   ∂z = g·(softmax(z)·Σ_c t − t)/N
 * (t one-hot, or any rows of class weights, or int32 class indices standing for one-hot rows; a constant).
 * The forward computes the probabilities and the loss in one pass over the rows and saves the
 * probabilities; without createGraph the backward is one loop over them.
 */
export const SoftmaxCrossEntropy = (targets: Tensor | null, labels: Int32Array | null): Op => {
  let oneHotTargets = targets;
  const targetTensor = (z: Variable): Tensor => (oneHotTargets ??= K.oneHot(K.tensor(labels!, [labels!.length], { dtype: 'int32' }), z.shape[1]!, { dtype: z.dtype }));
  return {
    name: 'softmaxCrossEntropy',
    forward: ([z], ctx) => {
      const [n, c] = z.shape as [number, number];
      const zc = z.contiguous();
      const za = zc.data as FloatArray;
      const zo = zc.offset;
      const probs = newLike(za, n * c, z.shape);
      const p = probs.data as FloatArray;
      const t = targets === null ? null : (targets.values() as FloatArray);
      let loss = 0;
      for (let r = 0; r < n; r++) {
        const base = zo + r * c;
        const o = r * c;
        let max = -Infinity;
        for (let j = 0; j < c; j++) if (za[base + j]! > max) max = za[base + j]!;
        if (max === -Infinity || max === Infinity) max = 0; // all −∞ (or an ∞): let the arithmetic give NaN/∞ like the unfused ops
        let sum = 0;
        for (let j = 0; j < c; j++) {
          const e = Math.exp(za[base + j]! - max);
          p[o + j] = e;
          sum += e;
        }
        const lse = max + Math.log(sum);
        const inv = 1 / sum;
        for (let j = 0; j < c; j++) p[o + j] = p[o + j]! * inv;
        if (labels !== null) {
          loss += lse - za[base + labels[r]!]!;
        } else {
          for (let j = 0; j < c; j++) {
            const tj = t![o + j]!;
            if (tj !== 0) loss += tj * (lse - za[base + j]!);
          }
        }
      }
      ctx.save(probs);
      return K.scalar(loss / n, { dtype: z.dtype });
    },
    backward: (g, { inputs: [z], saved }) => {
      const [n, c] = z.shape as [number, number];
      if (!isGradEnabled()) {
        const p = (saved[0] as Tensor).data as FloatArray;
        const scale = g.value.item() / n;
        const out = newLike(p, n * c, z.shape);
        const d = out.data as FloatArray;
        if (labels !== null) {
          for (let i = 0; i < n * c; i++) d[i] = p[i]! * scale;
          for (let r = 0; r < n; r++) {
            const k = r * c + labels[r]!;
            d[k] = (p[k]! - 1) * scale;
          }
        } else {
          const t = targets!.values() as FloatArray;
          for (let r = 0; r < n; r++) {
            const o = r * c;
            let rowSum = 0;
            for (let j = 0; j < c; j++) rowSum += t[o + j]!;
            for (let j = 0; j < c; j++) d[o + j] = (p[o + j]! * rowSum - t[o + j]!) * scale;
          }
        }
        return [new Variable(markFresh(out))];
      }
      const tt = targetTensor(z);
      const rowSum = constant(K.sum(tt, -1, true));
      return [softmax(z, -1).mul(rowSum).sub(constant(tt)).mul(g.div(n))];
    },
  };
};

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
  let z = toVariable(logits);
  if (z.ndim !== 2) throw new ShapeError(`softmaxCrossEntropy: logits must be [batch, classes], got ${fmtShape(z.shape)}`);
  if (z.dtype === 'int32') z = new Variable(z.value.astype('float32')); // integer logits: a float32 constant
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
    return apply(SoftmaxCrossEntropy(null, Int32Array.from(labels)), [z]);
  } else {
    if (t.ndim !== 2 || t.shape[0] !== n || t.shape[1] !== c) {
      throw new ShapeError(`softmaxCrossEntropy: one-hot targets must have shape ${fmtShape(z.shape)} like the logits, got ${fmtShape(t.shape)}`);
    }
    if (t.dtype !== z.dtype) t = t.astype(z.dtype);
  }
  return apply(SoftmaxCrossEntropy(t, null), [z]);
}
