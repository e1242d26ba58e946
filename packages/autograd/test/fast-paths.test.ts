import { Generator, Tensor, assertClose, randn, tensor, type DType } from '@tapegrad/tensor';
import { afterEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { Variable, gradients, hessian, linear, matmul, parameter, relu, softmaxCrossEntropy, variable } from '../src/index.js';

// The fused ops take kernel fast paths when backward runs without createGraph, and the differentiable
// compositions with it: both must give the same gradients (float32 tolerance), on any strides.

const rn = (g: Generator, shape: number[], dtype: DType = 'float32'): Tensor => randn(shape, { generator: g, dtype });

/** Gradients of the leaves after `loss(leaves)`.backward(), with and without createGraph. */
function bothWays(leaves: () => Variable[], loss: (vs: Variable[]) => Variable): { fast: (Tensor | null)[]; slow: (Tensor | null)[] } {
  const a = leaves();
  loss(a).backward();
  const b = leaves();
  loss(b).backward({ createGraph: true });
  return { fast: a.map((v) => v.grad), slow: b.map((v) => v.grad) };
}

function expectSame(fast: (Tensor | null)[], slow: (Tensor | null)[], opts = { rtol: 1e-5, atol: 1e-6 }): void {
  expect(fast.map((t) => t === null)).toEqual(slow.map((t) => t === null));
  fast.forEach((t, i) => {
    if (t === null) return;
    expect(t.isContiguous).toBe(true);
    assertClose(t, slow[i]!, opts, `gradient ${i}`);
  });
}

describe('linear fast backward', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`matches the differentiable formulas (${dtype}, x requires grad, bias)`, () => {
      const g = new Generator(1);
      const [x, w, b, r] = [rn(g, [5, 7], dtype), rn(g, [7, 3], dtype), rn(g, [3], dtype), rn(g, [5, 3], dtype)];
      const { fast, slow } = bothWays(
        () => [parameter(x), parameter(w), parameter(b)],
        ([vx, vw, vb]) => linear(vx!, vw!, vb!).mul(r).sum(),
      );
      expectSame(fast, slow);
      // reference: dW = xᵀ·r, db = Σ rows r, dx = r·Wᵀ
      assertClose(fast[1]!, x.T.matmul(r), { rtol: 1e-5, atol: 1e-6 });
      assertClose(fast[2]!, r.sum(0), { rtol: 1e-5, atol: 1e-6 });
      assertClose(fast[0]!, r.matmul(w.T), { rtol: 1e-5, atol: 1e-6 });
    });
  }

  it('a constant input gets no gradient and costs none', () => {
    const g = new Generator(2);
    const x = variable(rn(g, [4, 6]));
    const w = parameter(rn(g, [6, 2]));
    const b = parameter(rn(g, [2]));
    linear(x, w, b).sum().backward();
    expect(x.grad).toBeNull();
    assertClose(
      w.grad!,
      x.value.T.matmul(
        tensor([
          [1, 1],
          [1, 1],
          [1, 1],
          [1, 1],
        ]),
      ),
      { rtol: 1e-5, atol: 1e-6 },
    );
    assertClose(b.grad!, tensor([4, 4]), { rtol: 0, atol: 0 });
  });

  it('non-contiguous input and weight, 3-D input, no bias', () => {
    const g = new Generator(3);
    const x = rn(g, [6, 4, 5]).slice([0, 6, 2]).swapAxes(1, 2); // [3, 5, 4], strided
    const w = rn(g, [3, 4]); // used as w.T: [4, 3], transposed storage
    const r = rn(g, [3, 5, 3]);
    const { fast, slow } = bothWays(
      () => [variable(x, { requiresGrad: true }), parameter(w)],
      ([vx, vw]) => linear(vx!, vw!.T).mul(r).sum(),
    );
    expectSame(fast, slow);
  });

  it('a weight used twice accumulates both contributions; a second backward adds', () => {
    const g = new Generator(4);
    const x = rn(g, [3, 4]);
    const w = parameter(rn(g, [4, 4]));
    const loss = (): Variable => linear(linear(x, w).tanh(), w).sum();
    loss().backward();
    const once = w.grad!.clone();
    const ref = parameter(w.value.clone());
    linear(linear(x, ref).tanh(), ref).sum().backward({ createGraph: true });
    assertClose(once, ref.grad!, { rtol: 1e-5, atol: 1e-6 });
    loss().backward();
    assertClose(w.grad!, once.mul(2), { rtol: 1e-6, atol: 1e-7 });
  });

  it('a gradient seen by a hook is not the tensor stored in .grad', () => {
    const g = new Generator(5);
    const w = parameter(rn(g, [3, 2]));
    let seen: Tensor | null = null;
    w.registerHook((gr) => void (seen = gr.value));
    linear(rn(g, [4, 3]), w)
      .sum()
      .backward();
    expect(seen).not.toBeNull();
    expect(w.grad).not.toBe(seen);
    const copy = seen!.clone();
    (w.grad!.data as Float32Array).fill(0); // an in-place clip/zero of .grad must not change what the hook kept
    assertClose(seen!, copy, { rtol: 0, atol: 0 });
  });

  it("a gradient returned by gradients() is never kept as some leaf's .grad later", () => {
    const g = new Generator(11);
    const w = parameter(rn(g, [3, 2]));
    const [gw] = gradients(linear(rn(g, [4, 3]), w).sum(), [w]);
    w.backward({ gradient: gw! }); // seeds backward with the returned gradient: w.grad must be a copy
    expect(w.grad).not.toBe(gw!.value);
    const copy = gw!.value.clone();
    (w.grad!.data as Float32Array).fill(0);
    assertClose(gw!.value, copy, { rtol: 0, atol: 0 });
  });

  it('gradients() with createGraph false uses the fast path and returns the right values', () => {
    const g = new Generator(6);
    const x = parameter(rn(g, [4, 3]));
    const w = parameter(rn(g, [3, 2]));
    const [gx, gw] = gradients(linear(x, w).relu().sum(), [x, w]);
    const mask = x.value.matmul(w.value).gt(0);
    assertClose(gx!.value, mask.matmul(w.value.T), { rtol: 1e-5, atol: 1e-6 });
    assertClose(gw!.value, x.value.T.matmul(mask), { rtol: 1e-5, atol: 1e-6 });
  });
});

describe('linear fast backward on empty shapes', () => {
  it('zero output features or an empty batch give zero gradients of the right shapes', () => {
    const g = new Generator(12);
    for (const [xs, ws] of [
      [
        [2, 3],
        [3, 0],
      ],
      [
        [0, 3],
        [3, 2],
      ],
    ] as const) {
      const x = parameter(rn(g, [...xs]));
      const w = parameter(rn(g, [...ws]));
      const b = parameter(rn(g, [ws[1]]));
      linear(x, w, b).sum().backward();
      expect([x.grad!.shape, w.grad!.shape, b.grad!.shape]).toEqual([[...xs], [...ws], [ws[1]]]);
      for (const t of [x.grad!, w.grad!, b.grad!]) expect(Array.from(t.data).every((v) => v === 0)).toBe(true);
    }
  });
});

describe('relu fast backward', () => {
  it('matches g·[x > 0] on strided input', () => {
    const g = new Generator(7);
    const x = rn(g, [5, 6]).T; // strided
    const r = rn(g, [6, 5]);
    const { fast, slow } = bothWays(
      () => [variable(x, { requiresGrad: true })],
      ([vx]) => relu(vx!).mul(r).sum(),
    );
    expectSame(fast, slow, { rtol: 0, atol: 0 });
  });
});

describe('softmaxCrossEntropy fused', () => {
  /** −(1/N) Σ t·log softmax(z), in float64 with naive loops. */
  function reference(z: number[][], t: number[][]): number {
    let loss = 0;
    z.forEach((row, i) => {
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      row.forEach((v, j) => (loss += t[i]![j]! * (lse - v)));
    });
    return loss / z.length;
  }

  it('class indices: loss and gradient (p − onehot)/N, fast and differentiable paths agree', () => {
    const g = new Generator(8);
    const z = rn(g, [6, 4]).mul(3);
    const labels = tensor([0, 3, 1, 1, 2, 3], undefined, { dtype: 'int32' });
    const onehot = labels.toArray() as number[];
    const t = onehot.map((k) => [0, 1, 2, 3].map((j) => (j === k ? 1 : 0)));
    const zv = parameter(z);
    const loss = softmaxCrossEntropy(zv, labels);
    expect(loss.shape).toEqual([]);
    expect(Math.abs(loss.item() - reference(z.toArray() as number[][], t))).toBeLessThan(1e-6);
    const { fast, slow } = bothWays(
      () => [parameter(z)],
      ([v]) => softmaxCrossEntropy(v!, labels).mul(2.5),
    );
    expectSame(fast, slow);
    const p = z.softmax(-1);
    assertClose(fast[0]!, p.sub(tensor(t)).mul(2.5 / 6), { rtol: 1e-5, atol: 1e-6 });
  });

  it('soft targets on a strided float64 input', () => {
    const g = new Generator(9);
    const z = rn(g, [4, 3], 'float64').T; // [3, 4], strided
    const t = [
      [0.5, 0.5, 0, 0],
      [0, 0, 0.25, 0.75],
      [1, 0, 0, 0],
    ];
    const loss = softmaxCrossEntropy(variable(z), tensor(t, undefined, { dtype: 'float64' }));
    expect(Math.abs(loss.item() - reference(z.toArray() as number[][], t))).toBeLessThan(1e-12);
    const { fast, slow } = bothWays(
      () => [variable(z, { requiresGrad: true })],
      ([v]) => softmaxCrossEntropy(v!, tensor(t, undefined, { dtype: 'float64' })),
    );
    expectSame(fast, slow, { rtol: 1e-12, atol: 1e-14 });
  });
});

describe('matmul gradients kept by leaves', () => {
  it('W·W and a broadcast batch: the kept gradients equal the differentiable path', () => {
    const g = new Generator(10);
    const w = rn(g, [3, 3]);
    const xb = rn(g, [2, 4, 3]);
    const r = rn(g, [2, 4, 3]);
    const { fast, slow } = bothWays(
      () => [parameter(w), variable(xb, { requiresGrad: true })],
      ([vw, vx]) => matmul(vx!, matmul(vw!, vw!)).mul(r).sum(),
    );
    expectSame(fast, slow);
    // the two gradients of W's two uses were summed into a tensor of its own
    expect(fast[0]!.data).not.toBe(fast[1]!.data);
  });
});

describe('the engine takes the fused fastBackward exactly when no graph is recorded', () => {
  let spies: Record<'linear' | 'relu' | 'softmaxCrossEntropy', MockInstance>;
  const spyAll = (): void => {
    spies = {
      linear: vi.spyOn(linear.spec.op!, 'fastBackward'),
      relu: vi.spyOn(relu.spec.op!, 'fastBackward'),
      softmaxCrossEntropy: vi.spyOn(softmaxCrossEntropy.spec.op!, 'fastBackward'),
    };
  };
  afterEach(() => vi.restoreAllMocks());

  /** The step's MLP: softmaxCrossEntropy(linear(relu(linear(x, w1, b1)), w2, b2), labels). */
  function mlp(): { params: Variable[]; loss: (params: Variable[]) => Variable } {
    const g = new Generator(13);
    const x = rn(g, [6, 5]);
    const labels = tensor([0, 2, 1, 1, 0, 2], undefined, { dtype: 'int32' });
    const params = [parameter(rn(g, [5, 4])), parameter(rn(g, [4])), parameter(rn(g, [4, 3])), parameter(rn(g, [3]))];
    const loss = ([w1, b1, w2, b2]: Variable[]): Variable => softmaxCrossEntropy(linear(relu(linear(x, w1!, b1!)), w2!, b2!), labels);
    return { params, loss };
  }

  it('backward(): each fused op takes it, and the leaves keep the very tensors it returned (no copy)', () => {
    const { params, loss } = mlp();
    spyAll();
    loss(params).backward();
    expect(spies.linear).toHaveBeenCalledTimes(2);
    expect(spies.relu).toHaveBeenCalledTimes(1);
    expect(spies.softmaxCrossEntropy).toHaveBeenCalledTimes(1);
    const [first, second] = spies.linear.mock.results.map((r) => r.value as (Tensor | null)[]);
    // The engine walks backwards: the second layer's fast backward runs first.
    expect(params[2]!.grad).toBe(first![1]);
    expect(params[3]!.grad).toBe(first![2]);
    expect(params[0]!.grad).toBe(second![1]);
    expect(params[1]!.grad).toBe(second![2]);
    expect(second![0]).toBeNull(); // x is a constant: no gradient computed for it
  });

  it('backward({ createGraph: true }): none is taken (the recorded formulas run), and the gradients agree', () => {
    const { params, loss } = mlp();
    loss(params).backward();
    const fast = params.map((p) => p.grad!);
    const again = params.map((p) => parameter(p.value));
    spyAll();
    loss(again).backward({ createGraph: true });
    for (const spy of Object.values(spies)) expect(spy).not.toHaveBeenCalled();
    again.forEach((p, i) => assertClose(p.grad!, fast[i]!, { rtol: 1e-5, atol: 1e-6 }));
  });

  it('gradients() without createGraph takes it; forward mode (hessian) does not', () => {
    const { params, loss } = mlp();
    spyAll();
    gradients(loss(params), params);
    expect(spies.linear).toHaveBeenCalledTimes(2);
    vi.clearAllMocks();
    const [w1, b1, w2] = params;
    hessian((b: Variable) => loss([w1!, b1!, w2!, b]))(params[3]!.value);
    for (const spy of Object.values(spies)) expect(spy).not.toHaveBeenCalled();
  });
});

describe('backward({ gradientBuffers }): a training loop hands back last step’s gradients as storage', () => {
  const bits = (t: Tensor): number[] => Array.from(new Uint32Array(Float32Array.from(t.values()).buffer));

  it('the fused linear writes ∂W and ∂b into the given tensors, which become .grad, with the bits of a fresh backward', () => {
    const g = new Generator(21);
    const [x, w, b, r] = [rn(g, [6, 9]), rn(g, [9, 4]), rn(g, [4]), rn(g, [6, 4])];
    const fresh = [parameter(w), parameter(b)];
    linear(variable(x), fresh[0]!, fresh[1]!).mul(r).sum().backward();
    const reused = [parameter(w), parameter(b)];
    const storage = [rn(g, [9, 4]), rn(g, [4])]; // stale contents: overwritten, not added to
    const buffers = new Map(reused.map((p, i) => [p, storage[i]!] as const));
    linear(variable(x), reused[0]!, reused[1]!).mul(r).sum().backward({ gradientBuffers: buffers });
    reused.forEach((p, i) => {
      expect(p.grad, `param ${i} keeps the given storage`).toBe(storage[i]);
      expect(bits(p.grad!)).toEqual(bits(fresh[i]!.grad!));
    });
  });

  it('is not used for a leaf used twice, a leaf that already has a gradient, a wrong shape, or with createGraph', () => {
    const g = new Generator(22);
    const [x, w, b] = [rn(g, [3, 4]), rn(g, [4, 4]), rn(g, [4])];
    const run = (grad: Tensor | null, bufferShape: number[], twice: boolean, createGraph: boolean): { w: Variable; storage: Tensor } => {
      const pw = parameter(w);
      pw.grad = grad;
      const storage = rn(g, bufferShape);
      const h = linear(variable(x), pw, parameter(b));
      const out = twice ? linear(h, pw, parameter(b)) : h;
      out.sum().backward({ gradientBuffers: new Map([[pw, storage]]), createGraph });
      return { w: pw, storage };
    };
    const plain = run(null, [4, 4], false, false);
    expect(plain.w.grad).toBe(plain.storage);
    for (const [grad, shape, twice, createGraph] of [
      [null, [4, 4], true, false],
      [rn(g, [4, 4]), [4, 4], false, false],
      [null, [2, 8], false, false],
      [null, [4, 4], false, true],
    ] as const) {
      const before = grad?.clone() ?? null;
      const { w: pw, storage } = run(grad, [...shape], twice, createGraph);
      expect(pw.grad).not.toBe(storage);
      if (before !== null && !twice) assertClose(pw.grad!, before.add(plain.w.grad!), { rtol: 1e-6, atol: 1e-6 });
    }
  });
});
