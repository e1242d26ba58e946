import { Generator, Tensor, ValueError, getDefaultGenerator, randn } from '@tapegrad/tensor';
import { checkLayout, checkNetwork, referenceLoss, type ReferenceMlp } from './mlp.js';

/** The loss of a network on a batch, as a function the numeric check can probe. */
export type ReferenceLossFn = (net: ReferenceMlp, x: Tensor, targets: Tensor) => number;

/**
 * Central finite differences (E(w + ε) − E(w − ε))/2ε of the loss with respect to every weight and bias, in
 * float64, layer by layer — the ground truth every hand-derived or autograd gradient is checked against.
 * For a layer without bias (`null`) `db` is probed through a zero bias put in its place — the same loss, so it is
 * the gradient such a bias would get, Σ δ, as `deltaRuleGradients` and `jacobianGradients` report it.
 * `lossFn` defaults to {@link referenceLoss}; pass another to check a different definition of E.
 */
export function numericGradients(
  net: ReferenceMlp,
  x: Tensor,
  targets: Tensor,
  options: { eps?: number; lossFn?: ReferenceLossFn } = {},
): { dW: Tensor; db: Tensor }[] {
  const eps = options.eps ?? 1e-6;
  const lossFn = options.lossFn ?? referenceLoss;
  checkLayout('numericGradients', net);
  // the reference loss checks the batch on every call; name this function when it is the one that was called
  if (lossFn === referenceLoss) checkNetwork('numericGradients', net, x, targets);
  const weights = net.weights.map((w) => w.astype('float64'));
  const biases = net.biases.map((b) => (b === null || b === undefined ? null : b.astype('float64')));
  const probe: ReferenceMlp = { ...net, weights, biases };
  const numeric = (at: ReferenceMlp, arr: Float64Array, i: number): number => {
    const v = arr[i]!;
    arr[i] = v + eps;
    const up = lossFn(at, x, targets);
    arr[i] = v - eps;
    const down = lossFn(at, x, targets);
    arr[i] = v;
    return (up - down) / (2 * eps);
  };
  return weights.map((w, l) => {
    const wd = w.data as Float64Array;
    const dW = new Float64Array(wd.length);
    for (let i = 0; i < wd.length; i++) dW[i] = numeric(probe, wd, i);
    const db = new Float64Array(w.shape[1]!);
    const b = biases[l] ?? new Tensor(new Float64Array(db.length), [db.length]);
    const at = biases[l] ? probe : { ...probe, biases: biases.map((c, k) => (k === l ? b : c)) };
    for (let i = 0; i < db.length; i++) db[i] = numeric(at, b.data as Float64Array, i);
    return { dW: new Tensor(dW, w.shape), db: new Tensor(db, [db.length]) };
  });
}

/**
 * The worst element of |a − b| / (atol + rtol·|b|): at most 1 means `a` is close to the reference `b`
 * (NaN counts as infinitely far). Throws a ValueError when the shapes differ.
 */
export function gradientError(a: Tensor, b: Tensor, atol: number, rtol: number): number {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ValueError(`gradientError: shapes differ: [${a.shape.join(', ')}] vs [${b.shape.join(', ')}]`);
  }
  const av = a.astype('float64').data;
  const bv = b.astype('float64').data;
  let worst = 0;
  for (let i = 0; i < av.length; i++) {
    const r = Math.abs(av[i]! - bv[i]!) / (atol + rtol * Math.abs(bv[i]!));
    if (Number.isNaN(r)) return Infinity;
    if (r > worst) worst = r;
  }
  return worst;
}

/** max |a − b| over all elements (float64). */
export function maxAbsDifference(a: Tensor, b: Tensor): number {
  const av = a.astype('float64').data;
  const bv = b.astype('float64').data;
  let m = 0;
  for (let i = 0; i < av.length; i++) {
    const d = Math.abs(av[i]! - bv[i]!);
    if (!(d <= m)) m = d;
  }
  return m;
}

/**
 * A random float64 {@link ReferenceMlp} with layer sizes `sizes` (input first): weights N(0, (1.2)²/fan_in), so
 * activations stay out of saturation, biases N(0, 1); `hidden` for every layer but the last, `output` for the last.
 */
export function randomReferenceMlp(
  sizes: readonly number[],
  hidden: string,
  output: string,
  loss: string,
  options: { generator?: Generator } = {},
): ReferenceMlp {
  if (sizes.length < 2) throw new ValueError(`randomReferenceMlp: need at least 2 layer sizes (input, output), got [${sizes.join(', ')}]`);
  const g = options.generator ?? getDefaultGenerator();
  const weights: Tensor[] = [];
  const biases: Tensor[] = [];
  const activations: string[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const w = randn([sizes[l]!, sizes[l + 1]!], { dtype: 'float64', generator: g });
    const scale = 1.2 / Math.sqrt(sizes[l]!);
    const wd = w.data;
    for (let i = 0; i < wd.length; i++) wd[i] = wd[i]! * scale;
    weights.push(w);
    biases.push(randn([sizes[l + 1]!], { dtype: 'float64', generator: g }));
    activations.push(l + 2 === sizes.length ? output : hidden);
  }
  return { weights, biases, activations, loss };
}
