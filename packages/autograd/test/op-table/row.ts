/** The shape of an op table row, and the variants (contiguous, strided, expanded) every row runs on. */
import { fmtShape, type DType, type Tensor } from '@tapegrad/tensor';
import * as AG from '../../src/index.js';
import type { Variable } from '../../src/index.js';
import { strided } from './inputs.js';
import type { R } from './reference.js';

/** A row's function: Variables in, one Variable out. */
export type Fn = (...xs: Variable[]) => Variable;
/** One row of the op table. */
export interface Row {
  /** Row label. */
  name: string;
  /** Exported op functions this row covers (for the coverage check). */
  covers: string[];
  inputs: Tensor[];
  fn: Fn;
  ref: (...xs: R[]) => R;
  /** The same computation with @tapegrad/tensor kernels (and Tensor views), on the row's input tensors. */
  kernel?: (...xs: Tensor[]) => Tensor;
  /** A composite op (several kernels): float32 results may differ from the kernel's in the last bit. */
  composite?: boolean;
  /** False for a non-differentiable op: no gradchecks; the result must be a constant. Default true. */
  grad?: boolean;
  /** Result dtype for float64 inputs (default float64; float32 for float32 inputs unless int32). */
  dtype?: DType;
  /** Run the expanded-first-input variant (default true when input 0 is float with ndim ≥ 1). */
  expand?: boolean;
  /** Run gradgradcheck (default true). */
  gradgrad?: boolean;
  /** Forward tolerance (relative+absolute), default 1e-10. */
  forwardTol?: number;
  /**
   * The documented derivative at a kink (a tie of max/min, relu at 0) or a limit (pow at base 0), where finite
   * differences do not apply: a row with a rule is checked against it instead of by gradcheck/gradgradcheck and
   * finite differences of the JVP, and its second derivatives are checked for consistency (see op-table.test.ts).
   */
  rule?: Rule;
}

/** The derivative a row's op must give, on the row's (logical) float64 input values. */
export interface Rule {
  /** The gradient of every input for the cotangent `u`. */
  vjp: (u: R, ...xs: R[]) => R[];
  /** The tangent of the output for the input tangents `ts`. */
  jvp: (ts: R[], ...xs: R[]) => R;
}

/** A row run on one input layout. */
export interface Variant {
  label: string;
  inputs: Tensor[];
  fn: Fn;
}

/** The contiguous inputs, a strided copy of every float input and, where it applies, input 0 expanded from size 1. */
export function variantsOf(row: Row): Variant[] {
  const out: Variant[] = [{ label: 'contiguous', inputs: row.inputs, fn: row.fn }];
  if (row.inputs.some((t) => t.dtype !== 'int32' && t.size > 1)) {
    out.push({
      label: 'strided (reversed axes, step 2, offset 1)',
      inputs: row.inputs.map((t) => (t.dtype === 'int32' ? t : strided(t))),
      fn: row.fn,
    });
  }
  const first = row.inputs[0]!;
  if ((row.expand ?? true) && first.ndim >= 1 && first.shape[0]! > 1) {
    const full = [...first.shape];
    const base = first.slice([0, 1]).contiguous();
    out.push({
      label: `expanded input 0 ${fmtShape(base.shape)} -> ${fmtShape(full)}`,
      inputs: [base, ...row.inputs.slice(1)],
      fn: (x, ...rest) => row.fn(AG.expand(x, full), ...rest),
    });
  }
  return out;
}
