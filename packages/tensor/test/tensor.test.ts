import { describe, expect, it } from 'vitest';
import {
  Generator,
  DTypeError,
  IndexError,
  ShapeError,
  Tensor,
  TapegradError,
  ValueError,
  arange,
  eye,
  floatDtype,
  promote,
  full,
  fullLike,
  getDefaultGenerator,
  linspace,
  manualSeed,
  normal,
  ones,
  onesLike,
  permutation,
  rand,
  randint,
  randn,
  scalar,
  shuffle,
  tensor,
  uniform,
  zeros,
  zerosLike,
} from '@tapegrad/tensor';
import { flat as logical } from './helpers.js';

const gen = new Generator(777);

/** A naive reference transpose of a row-major flat array of shape [m, n]. */
function transposeRef(flat: number[], m: number, n: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) out.push(flat[i * n + j]!);
  return out;
}

const mean = (v: ArrayLike<number>): number => Array.from(v).reduce((s, x) => s + x, 0) / v.length;

const a23 = (): Tensor =>
  tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);

// ---- construction --------------------------------------------------------------------------------

describe('Tensor fields and reading', () => {
  it('has data, shape, strides, offset, dtype, size, ndim', () => {
    const t = a23();
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.strides).toEqual([3, 1]);
    expect(t.offset).toBe(0);
    expect(t.dtype).toBe('float32');
    expect(t.size).toBe(6);
    expect(t.ndim).toBe(2);
    expect(t.isContiguous).toBe(true);
    expect(Object.isFrozen(t.shape) && Object.isFrozen(t.strides)).toBe(true);
  });

  it('get, item and toArray read through strides; negative indices count from the end', () => {
    const t = a23();
    expect(t.get(1, 2)).toBe(6);
    expect(t.get(-1, -3)).toBe(4);
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.T.toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(scalar(2.5).toArray()).toBe(2.5);
    expect(t.slice(1, 2).item()).toBe(6);
    expect(tensor([[7]]).item()).toBe(7);
  });

  it('reading errors name the function and what was wrong', () => {
    const t = a23();
    expect(() => t.item()).toThrow(ShapeError);
    expect(() => t.item()).toThrow('item: tensor of shape [2, 3] has 6 elements; expected exactly 1');
    expect(() => t.get(0)).toThrow(IndexError);
    expect(() => t.get(0)).toThrow(/get: got 1 indices for a tensor of shape \[2, 3\]; expected 2/);
    expect(() => t.get(2, 0)).toThrow(/get: index 2 is out of bounds for axis 0 with size 2/);
    expect(() => t.get(0, 0.5)).toThrow(IndexError);
    expect(new ShapeError('x')).toBeInstanceOf(TapegradError);
  });

  it('clone copies; astype converts (float → int32 truncates toward zero)', () => {
    const t = tensor([1.7, -1.7, 2.5]);
    const c = t.clone();
    expect(c.data).not.toBe(t.data);
    expect(c.equals(t)).toBe(true);
    const i = t.astype('int32');
    expect(i.dtype).toBe('int32');
    expect(Array.from(i.data)).toEqual([1, -1, 2]);
    const d = a23().T.astype('float64');
    expect(d.dtype).toBe('float64');
    expect(d.isContiguous).toBe(true);
    expect(Array.from(d.data)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(tensor([0.1]).astype('float64').item()).toBe(Math.fround(0.1));
  });

  it('values() is a view of contiguous data and a copy otherwise', () => {
    const t = arange(10);
    const s = t.slice([2, 5]);
    expect(s.isContiguous).toBe(true);
    const v = s.values();
    expect(Array.from(v)).toEqual([2, 3, 4]);
    expect(v.buffer).toBe(t.data.buffer);
    expect(t.values()).toBe(t.data);
    const st = t.slice([0, 10, 3]);
    expect(st.isContiguous).toBe(false);
    expect(Array.from(st.values())).toEqual([0, 3, 6, 9]);
    expect(st.values().buffer).not.toBe(t.data.buffer);
  });

  it('equals compares shape, dtype and values', () => {
    expect(a23().equals(a23())).toBe(true);
    expect(a23().equals(a23().reshape(3, 2))).toBe(false);
    expect(a23().equals(a23().astype('float64'))).toBe(false);
    expect(a23().T.equals(a23().T.contiguous())).toBe(true);
    expect(tensor([NaN]).equals(tensor([NaN]))).toBe(false);
  });
});

// ---- views ---------------------------------------------------------------------------------------

describe('views share data', () => {
  it('transpose / T / permute / swapAxes permute strides without copying', () => {
    const t = arange(24).reshape(2, 3, 4);
    expect(t.strides).toEqual([12, 4, 1]);
    const tt = t.transpose();
    expect(tt.data).toBe(t.data);
    expect(tt.shape).toEqual([4, 3, 2]);
    expect(tt.strides).toEqual([1, 4, 12]);
    expect(tt.isContiguous).toBe(false);
    const p = t.permute(1, 0, 2);
    expect(p.data).toBe(t.data);
    expect(p.shape).toEqual([3, 2, 4]);
    expect(p.strides).toEqual([4, 12, 1]);
    expect(t.permute([2, 0, 1]).strides).toEqual([1, 12, 4]);
    expect(t.permute(-1, 0, 1).shape).toEqual([4, 2, 3]);
    expect(t.swapAxes(0, -1).strides).toEqual([1, 4, 12]);
    expect(p.get(2, 1, 3)).toBe(t.get(1, 2, 3));
    const m = arange(12).reshape(3, 4);
    expect(logical(m.T)).toEqual(transposeRef(logical(m), 3, 4));
    expect(m.T.T.strides).toEqual(m.strides);
    expect(() => t.permute(0, 0, 1)).toThrow(/permute: axes \[0, 0, 1\] are not a permutation of the 3 axes of \[2, 3, 4\]/);
    expect(() => t.permute(0, 1)).toThrow(IndexError);
    expect(() => t.permute(0, 1, 3)).toThrow(/permute: axis 3 is out of range for a tensor with 3 dimensions/);
  });

  it('slice moves offset, multiplies strides by the step and drops integer-indexed axes', () => {
    const t = arange(20).reshape(4, 5);
    const s = t.slice([1, 3], [1, 5, 2]);
    expect(s.data).toBe(t.data);
    expect(s.shape).toEqual([2, 2]);
    expect(s.strides).toEqual([5, 2]);
    expect(s.offset).toBe(6);
    expect(s.toArray()).toEqual([
      [6, 8],
      [11, 13],
    ]);
    const row = t.slice(2);
    expect(row.shape).toEqual([5]);
    expect(row.offset).toBe(10);
    expect(t.index(-1).toArray()).toEqual([15, 16, 17, 18, 19]);
    const col = t.slice(null, 3);
    expect(col.shape).toEqual([4]);
    expect(col.strides).toEqual([5]);
    expect(col.offset).toBe(3);
    expect(t.slice([-2]).shape).toEqual([2, 5]);
    expect(t.slice([null, -1]).shape).toEqual([3, 5]);
    expect(t.slice([-100, 100]).shape).toEqual([4, 5]);
    expect(t.slice([3, 1]).shape).toEqual([0, 5]);
  });

  it('slice with negative steps follows Python semantics', () => {
    const x = arange(6);
    const r = x.slice([null, null, -1]);
    expect(r.strides).toEqual([-1]);
    expect(r.offset).toBe(5);
    expect(r.toArray()).toEqual([5, 4, 3, 2, 1, 0]);
    const py = (start: number | null, stop: number | null, step: number): number[] => {
      // Python's range semantics for list slicing, written out.
      const n = 6;
      const norm = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
      const s = start === null ? (step > 0 ? 0 : n - 1) : norm(start, step > 0 ? 0 : -1, step > 0 ? n : n - 1);
      const e = stop === null ? (step > 0 ? n : -1) : norm(stop, step > 0 ? 0 : -1, step > 0 ? n : n - 1);
      const out: number[] = [];
      for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(i);
      return out;
    };
    const bounds = [null, -8, -6, -3, -1, 0, 1, 3, 5, 6, 9];
    for (const start of bounds) {
      for (const stop of bounds) {
        for (const step of [-3, -2, -1, 1, 2, 4]) {
          expect(logical(x.slice([start, stop, step])), `[${start}:${stop}:${step}]`).toEqual(py(start, stop, step));
        }
      }
    }
    const m = arange(12).reshape(3, 4);
    expect(m.slice([null, null, -1], [null, null, -2]).toArray()).toEqual([
      [11, 9],
      [7, 5],
      [3, 1],
    ]);
    expect(m.slice([null, null, -1]).slice([null, null, -1]).equals(m)).toBe(true);
  });

  it('slice errors name the problem', () => {
    const t = arange(6).reshape(2, 3);
    expect(() => t.slice([0, 2, 0])).toThrow(ValueError);
    expect(() => t.slice([0, 2, 0])).toThrow(/slice: step 0 on axis 0 must be a non-zero integer/);
    expect(() => t.slice(null, 3)).toThrow(/slice: index 3 is out of bounds for axis 1 with size 3/);
    expect(() => t.slice(0, 0, 0)).toThrow(/slice: got 3 slice specs for a tensor of shape \[2, 3\]/);
    expect(() => t.slice([0.5, 1])).toThrow(ValueError);
  });

  it('expand / broadcastTo give stride 0 on broadcast dimensions', () => {
    const v = tensor([1, 2, 3]);
    const e = v.expand(4, 3);
    expect(e.data).toBe(v.data);
    expect(e.shape).toEqual([4, 3]);
    expect(e.strides).toEqual([0, 1]);
    expect(e.isContiguous).toBe(false);
    expect(logical(e)).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
    const c = tensor([[1], [2]]);
    expect(c.broadcastTo([3, 2, 5]).strides).toEqual([0, 1, 0]);
    expect(() => c.broadcastTo([2, 1, 5])).toThrow(/expand: cannot broadcast shape \[2, 1\] to \[2, 1, 5\]/);
    expect(c.expand(3, 2, 4).toArray()).toEqual(Array(3).fill([Array(4).fill(1), Array(4).fill(2)]));
    expect(v.expand(3).strides).toEqual([1]);
    expect(tensor([5]).expand([0]).shape).toEqual([0]);
    expect(() => v.expand(4, 2)).toThrow(ShapeError);
    expect(() => v.expand(4, 2)).toThrow('expand: cannot broadcast shape [3] to [4, 2]; each dimension must match or be 1');
    expect(() => a23().expand(3)).toThrow(/expand: cannot broadcast shape \[2, 3\] to \[3\]/);
  });

  it('squeeze / unsqueeze / flatten are views', () => {
    const t = arange(6).reshape(1, 2, 1, 3);
    const s = t.squeeze();
    expect(s.shape).toEqual([2, 3]);
    expect(s.data).toBe(t.data);
    expect(t.squeeze(0).shape).toEqual([2, 1, 3]);
    expect(t.squeeze([-2, 0]).shape).toEqual([2, 3]);
    expect(() => t.squeeze(1)).toThrow('squeeze: axis 1 of shape [1, 2, 1, 3] has size 2; expected 1');
    const u = s.unsqueeze(1);
    expect(u.shape).toEqual([2, 1, 3]);
    expect(u.data).toBe(t.data);
    expect(u.isContiguous).toBe(true);
    expect(s.unsqueeze(-1).shape).toEqual([2, 3, 1]);
    expect(s.unsqueeze(0).shape).toEqual([1, 2, 3]);
    expect(s.T.unsqueeze(1).toArray()).toEqual([[[0, 3]], [[1, 4]], [[2, 5]]]);
    expect(() => s.unsqueeze(3)).toThrow(/unsqueeze: axis 3 is out of range/);
    const f = arange(24).reshape(2, 3, 4);
    expect(f.flatten().shape).toEqual([24]);
    expect(f.flatten().data).toBe(f.data);
    expect(f.flatten(1).shape).toEqual([2, 12]);
    expect(f.flatten(0, 1).shape).toEqual([6, 4]);
    expect(scalar(3).flatten().shape).toEqual([1]);
    expect(() => f.flatten(2, 1)).toThrow(/flatten: endAxis 1 comes before startAxis 2/);
  });
});

describe('reshape and contiguous', () => {
  it('reshape of a contiguous tensor is a view; -1 is inferred', () => {
    const t = arange(12);
    const r = t.reshape(3, 4);
    expect(r.data).toBe(t.data);
    expect(r.strides).toEqual([4, 1]);
    expect(t.reshape([2, -1, 3]).shape).toEqual([2, 2, 3]);
    const sliced = arange(20).slice([4, 16]);
    const rs = sliced.reshape(3, 4);
    expect(rs.data).toBe(sliced.data);
    expect(rs.offset).toBe(4);
    expect(rs.toArray()).toEqual([
      [4, 5, 6, 7],
      [8, 9, 10, 11],
      [12, 13, 14, 15],
    ]);
  });

  it('reshape of a non-contiguous tensor copies only when no view exists', () => {
    const t = arange(24).reshape(2, 3, 4);
    const p = t.permute(1, 0, 2); // [3, 2, 4], strides [4, 12, 1]
    const merged = p.reshape(3, 8); // cannot merge axes 0,1 → copy
    expect(merged.data).not.toBe(t.data);
    expect(logical(merged)).toEqual(logical(p));
    const split = p.reshape(3, 2, 2, 2); // splitting the contiguous last axis → view
    expect(split.data).toBe(t.data);
    expect(split.strides).toEqual([4, 12, 2, 1]);
    expect(logical(split)).toEqual(logical(p));
    const withOnes = p.reshape(3, 1, 2, 4);
    expect(withOnes.data).toBe(t.data);
    expect(logical(withOnes)).toEqual(logical(p));
    const e = tensor([1, 2, 3]).expand(2, 3);
    expect(e.reshape(2, 3, 1).data).toBe(e.data);
    const ef = e.reshape(6);
    expect(ef.data).not.toBe(e.data);
    expect(logical(ef)).toEqual([1, 2, 3, 1, 2, 3]);
    const m = arange(12).reshape(3, 4).T;
    expect(logical(m.reshape(12))).toEqual(logical(m));
    expect(logical(m.reshape(2, 6))).toEqual(logical(m));
  });

  it('reshape round-trips random views against the logical order (property-style)', () => {
    for (let c = 0; c < 60; c++) {
      const shape = Array.from({ length: gen.int(1, 4) }, () => gen.int(1, 5));
      const size = shape.reduce((x, y) => x * y, 1);
      const base = arange(size).reshape(shape);
      const axes = shape.map((_, i) => i);
      shuffle(axes, { generator: gen });
      const view = base.permute(axes);
      const target = [size];
      const r = view.reshape(target);
      expect(logical(r)).toEqual(logical(view));
      expect(r.reshape(view.shape).equals(view.contiguous())).toBe(true);
    }
  });

  it('reshape errors say both shapes', () => {
    const t = arange(6);
    expect(() => t.reshape(4, 2)).toThrow('reshape: cannot reshape [6] (6 elements) to [4, 2] (8 elements)');
    expect(() => t.reshape(-1, -1)).toThrow(/only one dimension may be -1/);
    expect(() => t.reshape(4, -1)).toThrow(/cannot reshape \[6\] \(6 elements\) to \[4, -1\]/);
  });

  it('contiguous copies only when needed', () => {
    const t = arange(6).reshape(2, 3);
    expect(t.contiguous()).toBe(t);
    const row = t.slice(1);
    expect(row.contiguous().data).toBe(t.data);
    const c = t.T.contiguous();
    expect(c.data).not.toBe(t.data);
    expect(c.isContiguous).toBe(true);
    expect(c.strides).toEqual([2, 1]);
    expect(Array.from(c.data)).toEqual([0, 3, 1, 4, 2, 5]);
    const rev = t.slice(null, [null, null, -1]).contiguous();
    expect(Array.from(rev.data)).toEqual([2, 1, 0, 5, 4, 3]);
    expect(tensor([2]).expand(3).contiguous().toArray()).toEqual([2, 2, 2]);
  });
});

// ---- creation ------------------------------------------------------------------------------------

describe('creation', () => {
  it('tensor infers shapes, honours dtype and wraps typed arrays without copying', () => {
    expect(tensor(5).shape).toEqual([]);
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor([[1, 2, 3]]).shape).toEqual([1, 3]);
    expect(tensor([1, 2, 3, 4], [2, 2]).toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(tensor([1.9, -1.9], undefined, { dtype: 'int32' }).toArray()).toEqual([1, -1]);
    const buf = new Float64Array([1, 2, 3, 4, 5, 6]);
    const t = tensor(buf, [2, 3]);
    expect(t.data).toBe(buf);
    expect(t.dtype).toBe('float64');
    const conv = tensor(buf, [6], { dtype: 'float32' });
    expect(conv.data).not.toBe(buf);
    expect(conv.dtype).toBe('float32');
    expect(tensor(new Int32Array([1, 2])).dtype).toBe('int32');
  });

  it('tensor rejects ragged arrays and wrong sizes', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => tensor([[1, 2], [3]])).toThrow(/tensor: ragged nested array: expected 2 elements at depth 1/);
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow('tensor: 3 values cannot fill shape [2, 2] (4 elements)');
    expect(() => tensor(new Float32Array(3), [2])).toThrow(/tensor: 3 values cannot fill shape \[2\]/);
    expect(() => tensor(new Uint8Array(3) as unknown as Float32Array)).toThrow(/unsupported typed array Uint8Array/);
    expect(() => zeros([2, -1])).toThrow(/zeros|full/);
  });

  it('zeros, ones, full, *Like, arange, linspace, eye', () => {
    expect(zeros([2, 2]).toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(ones([3], { dtype: 'int32' }).toArray()).toEqual([1, 1, 1]);
    expect(ones([3], { dtype: 'int32' }).dtype).toBe('int32');
    expect(full([2], 7.5).toArray()).toEqual([7.5, 7.5]);
    const like = tensor([[1, 2]], undefined, { dtype: 'float64' });
    expect(zerosLike(like).dtype).toBe('float64');
    expect(onesLike(like).shape).toEqual([1, 2]);
    expect(fullLike(like, 3, { dtype: 'int32' }).dtype).toBe('int32');
    expect(arange(4).toArray()).toEqual([0, 1, 2, 3]);
    expect(arange(2, 5).toArray()).toEqual([2, 3, 4]);
    expect(arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(arange(0, 1, 0.25, { dtype: 'float64' }).toArray()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(arange(3, 1).size).toBe(0);
    expect(() => arange(0, 1, 0)).toThrow(ValueError);
    expect(linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(linspace(2, 2, 1).toArray()).toEqual([2]);
    expect(linspace(0, 1, 0).size).toBe(0);
    expect(linspace(0, 0.3, 3, { dtype: 'float64' }).get(-1)).toBe(0.3);
    expect(eye(2, 3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(eye(3).get(2, 2)).toBe(1);
  });
});

// ---- random --------------------------------------------------------------------------------------

describe('random', () => {
  it('the same seed gives bit-identical draws', () => {
    const a = randn([50], { generator: new Generator(42), dtype: 'float64' });
    const b = randn([50], { generator: new Generator(42), dtype: 'float64' });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    const c = randn([50], { generator: new Generator(43), dtype: 'float64' });
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
    manualSeed(5);
    const d1 = rand([10]);
    manualSeed(5);
    const d2 = rand([10]);
    expect(d1.equals(d2)).toBe(true);
    expect(getDefaultGenerator().seed).toBe(5);
    const g = new Generator('abc');
    const x = g.random();
    g.manualSeed('abc');
    expect(g.random()).toBe(x);
  });

  it('getState / setState resume the exact stream (including the spare normal)', () => {
    const g = new Generator(9);
    g.normal(); // leaves a spare
    const state = JSON.parse(JSON.stringify(g.getState()));
    const first = [g.normal(), g.random(), g.normal(), g.int(0, 1000)];
    const h = new Generator(0);
    h.setState(state);
    expect([h.normal(), h.random(), h.normal(), h.int(0, 1000)]).toEqual(first);
  });

  it('distributions have the right ranges and moments', () => {
    const g = new Generator(2024);
    const u = rand([20000], { generator: g }).values();
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(mean(u)).toBeCloseTo(0.5, 1);
    const n = randn([20000], { generator: g, dtype: 'float64' }).values();
    const m = mean(n);
    const variance = mean(Array.from(n, (v) => (v - m) ** 2));
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    const nm = normal([20000], 3, 0.5, { generator: g }).values();
    expect(mean(nm)).toBeCloseTo(3, 1);
    const un = uniform([1000], -2, -1, { generator: g }).values();
    expect(Math.min(...un)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...un)).toBeLessThan(-1);
    const ri = randint(-3, 4, [5000], { generator: g });
    expect(ri.dtype).toBe('int32');
    expect(new Set(ri.values())).toEqual(new Set([-3, -2, -1, 0, 1, 2, 3]));
    expect(randint(0, 2, [3], { generator: g, dtype: 'float32' }).dtype).toBe('float32');
  });

  it('permutation and shuffle are permutations and seeded', () => {
    const p = permutation(50, { generator: new Generator(1) });
    expect(p.dtype).toBe('int32');
    expect([...p.values()].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(p.equals(permutation(50, { generator: new Generator(1) }))).toBe(true);
    expect(p.equals(permutation(50, { generator: new Generator(2) }))).toBe(false);
    const arr = ['a', 'b', 'c', 'd', 'e'];
    expect(shuffle(arr, { generator: new Generator(3) })).toBe(arr);
    expect([...arr].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('invalid arguments throw ValueError naming the function', () => {
    expect(() => uniform([2], 1, 0)).toThrow('uniform: high (0) must be ≥ low (1)');
    expect(() => normal([2], 0, -1)).toThrow(/normal: std must be ≥ 0/);
    expect(() => randint(3, 3, [2])).toThrow(/randint: expected integers low < high, got low=3, high=3/);
    expect(() => permutation(-1)).toThrow(ValueError);
    expect(() => rand([2.5])).toThrow(/rand: shape \[2.5\]/);
  });
});

describe('dtype rules', () => {
  it('floatDtype: int32 computes in float32, floats are kept; composed with promote it is the matmul/div rule', () => {
    expect(floatDtype('int32')).toBe('float32');
    expect(floatDtype('float32')).toBe('float32');
    expect(floatDtype('float64')).toBe('float64');
    expect(floatDtype(promote('int32', 'int32'))).toBe('float32');
    expect(floatDtype(promote('int32', 'float64'))).toBe('float64');
    expect(tensor([[1, 2]], undefined, { dtype: 'int32' }).matmul(tensor([[3], [4]], undefined, { dtype: 'int32' })).dtype).toBe('float32');
  });
});

describe('the constructor checks the layout against the data', () => {
  it('refuses data too short for the shape (no silent NaN from reading past the end)', () => {
    expect(() => new Tensor(new Float32Array(3), [2, 2])).toThrow(IndexError);
    expect(() => new Tensor(new Float32Array(3), [2, 2])).toThrow(
      'Tensor: shape [2, 2] with strides [2, 1] and offset 0 reads elements 0..3, but data has 3',
    );
  });
  it('refuses an offset or negative strides that reach outside the data', () => {
    expect(() => new Tensor(new Float32Array(4), [2, 2], [2, 1], 1)).toThrow('reads elements 1..4, but data has 4');
    expect(() => new Tensor(new Float32Array(4), [2, 2], [-2, 1], 0)).toThrow('reads elements -2..1');
    expect(() => new Tensor(new Float32Array(4), [2, 2], [-2, 1], -1)).toThrow(IndexError);
  });
  it('refuses non-integer or negative sizes, non-integer strides/offset, a stride count that differs from ndim', () => {
    expect(() => new Tensor(new Float32Array(4), [2, -2])).toThrow(ShapeError);
    expect(() => new Tensor(new Float32Array(4), [2.5, 1])).toThrow('expected non-negative integers');
    expect(() => new Tensor(new Float32Array(4), [2, 2], [1.5, 1])).toThrow(ValueError);
    expect(() => new Tensor(new Float32Array(4), [2], [1], 0.5)).toThrow('offset 0.5 is not an integer');
    expect(() => new Tensor(new Float32Array(4), [2, 2], [1])).toThrow('1 strides [1] for 2 dimensions [2, 2]');
  });
  it('refuses storage that is not a supported typed array', () => {
    expect(() => new Tensor([1, 2, 3] as unknown as Float32Array, [3])).toThrow(DTypeError);
    expect(() => new Tensor(new Uint8Array(3) as unknown as Float32Array, [3])).toThrow('got Uint8Array');
  });
  it('accepts every valid layout: negative strides inside the data, stride-0 broadcasts, empty tensors anywhere', () => {
    expect(new Tensor(new Float32Array([1, 2, 3, 4]), [2, 2], [-2, 1], 2).toArray()).toEqual([
      [3, 4],
      [1, 2],
    ]);
    expect(new Tensor(new Float32Array([7]), [3, 4], [0, 0]).sum().item()).toBe(84);
    expect(new Tensor(new Float32Array(0), [0, 5]).size).toBe(0);
    expect(new Tensor(new Float32Array(2), [2, 0], [0, 1], 9).size).toBe(0);
  });
});

describe('Generator.setState checks what it is given', () => {
  it('round-trips a real state and refuses one that no generator produced (it would draw a constant stream)', () => {
    const g = new Generator(3);
    g.random();
    const state = g.getState();
    const h = new Generator(0);
    h.setState(JSON.parse(JSON.stringify(state)));
    expect(h.random()).toBe(g.random());
    const prng = state.prng as Record<string, number>;
    const bad = (patch: Record<string, unknown>, prngPatch: Record<string, unknown> = {}) => () =>
      h.setState({ ...state, ...patch, prng: { ...prng, ...prngPatch } } as never);
    expect(bad({}, { s0: 1e300 })).toThrow('Generator.setState: prng.s0 is 1e+300, not a fraction in [0, 1)');
    expect(bad({}, { s1: -0.5 })).toThrow(ValueError);
    expect(bad({}, { s2: 'x' })).toThrow(ValueError);
    expect(bad({}, { c: 1.5 })).toThrow('prng.c is 1.5');
    expect(bad({}, { c: -1 })).toThrow(ValueError);
    expect(bad({ spare: Infinity })).toThrow('spare is Infinity');
    expect(() => h.setState(null as never)).toThrow('Generator.setState: got null');
    expect(() => h.setState({ seed: 1, prng: null, spare: null } as never)).toThrow('prng is null');
    // whatever seed the constructor took, its own state comes back (the seed is a label; the stream is prng's)
    for (const seed of ['abc', NaN, Infinity]) {
      const a = new Generator(seed);
      a.random();
      const b = new Generator(1);
      b.setState(a.getState());
      expect(b.random()).toBe(a.random());
    }
    expect(bad({ seed: {} })).toThrow('seed is [object Object]');
    // a refused state leaves the generator as it was
    const before = h.getState();
    expect(bad({}, { s0: 2 })).toThrow(ValueError);
    expect(h.getState()).toEqual(before);
  });
});
