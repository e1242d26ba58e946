import { describe, expect, it } from 'vitest';
import { AssertionError, ShapeError, Tensor, allClose, arange, assertClose, formatTensor, maxAbsDiff, tensor } from '@tapegrad/tensor';

const f64 = { dtype: 'float64' as const };
const i32 = { dtype: 'int32' as const };

describe('allClose / maxAbsDiff', () => {
  it('uses |a − b| ≤ atol + rtol·|b|', () => {
    const b = tensor([1, 100, 0], undefined, f64);
    expect(allClose(tensor([1 + 5e-6, 100 + 5e-4, 5e-9], undefined, f64), b)).toBe(true);
    expect(allClose(tensor([1 + 2e-5, 100, 0], undefined, f64), b)).toBe(false);
    expect(allClose(tensor([1, 100, 2e-8], undefined, f64), b)).toBe(false);
    expect(allClose(tensor([1, 100, 2e-8], undefined, f64), b, { atol: 1e-7 })).toBe(true);
    expect(allClose(tensor([1.1, 110, 0], undefined, f64), b, { rtol: 0.1 })).toBe(true);
    expect(allClose(tensor([1.1, 111, 0], undefined, f64), b, { rtol: 0.1 })).toBe(false);
  });

  it('handles NaN and infinities like NumPy', () => {
    expect(allClose(tensor([NaN]), tensor([NaN]))).toBe(false);
    expect(allClose(tensor([NaN]), tensor([NaN]), { equalNan: true })).toBe(true);
    expect(allClose(tensor([NaN]), tensor([1]), { equalNan: true })).toBe(false);
    expect(allClose(tensor([Infinity, -Infinity]), tensor([Infinity, -Infinity]))).toBe(true);
    expect(allClose(tensor([Infinity]), tensor([-Infinity]), { rtol: 10 })).toBe(false);
    expect(allClose(tensor([1e30]), tensor([Infinity]), { rtol: 10 })).toBe(false);
  });

  it('broadcasts, accepts numbers and reads strided views in logical order', () => {
    const m = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(
      allClose(
        m.T,
        tensor([
          [1, 3],
          [2, 4],
        ]),
      ),
    ).toBe(true);
    expect(allClose(m, m.T)).toBe(false);
    expect(allClose(tensor([[2, 2, 2]]), 2)).toBe(true);
    expect(allClose(tensor([2, 2]).expand([3, 2]), tensor([2]))).toBe(true);
    expect(() => allClose(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(/allClose: shapes \[3\] and \[2\]/);
    expect(maxAbsDiff(m.T, m)).toBe(1);
    expect(maxAbsDiff(m.slice(null, [null, null, -1]), m)).toBe(1);
    expect(maxAbsDiff(tensor([1, 5]), 2)).toBe(3);
    expect(maxAbsDiff(tensor([]), tensor([]))).toBe(0);
    expect(Number.isNaN(maxAbsDiff(tensor([1, NaN]), tensor([1, 2])))).toBe(true);
    expect(maxAbsDiff(tensor([NaN]), tensor([NaN]))).toBe(0);
  });
});

describe('assertClose', () => {
  it('passes silently when close', () => {
    expect(() => assertClose(tensor([1, 2]), tensor([1, 2 + 1e-6]))).not.toThrow();
    expect(() => assertClose(tensor([[3, 3]]), 3)).not.toThrow();
  });

  it('names the worst element, its index, both values and the tolerance', () => {
    const expected = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      undefined,
      f64,
    );
    const actual = tensor(
      [
        [1, 2.01, 3],
        [4.5, 5, 6],
      ],
      undefined,
      f64,
    );
    let err: unknown;
    try {
      assertClose(actual, expected, { rtol: 1e-3, atol: 0 }, 'layer 1');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AssertionError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^layer 1: assertClose: 2 of 6 elements differ/);
    expect(msg).toContain('atol=0, rtol=0.001');
    expect(msg).toContain('worst at [1, 0]: actual 4.5, expected 4,');
    expect(msg).toContain('|diff| 0.5 > tolerance 0.004');
  });

  it('reports NaN as the worst miss and rejects shape mismatches', () => {
    expect(() => assertClose(tensor([1, NaN, 3]), tensor([1.5, 2, 3]))).toThrow(/worst at \[1\]: actual NaN, expected 2/);
    expect(() => assertClose(tensor([1, 2, 3]), tensor([[1, 2, 3]]))).toThrow(ShapeError);
    expect(() => assertClose(tensor([1, 2, 3]), tensor([[1, 2, 3]]))).toThrow(
      /assertClose: actual has shape \[3\] but expected has shape \[1, 3\]/,
    );
  });
});

describe('formatTensor / toString', () => {
  it('prints integral floats NumPy-style with aligned rows', () => {
    expect(
      formatTensor(
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ),
    ).toBe('tensor([[1., 2.],\n        [3., 4.]])');
    expect(
      String(
        tensor([
          [1, 2],
          [30, 4],
        ]),
      ),
    ).toBe('tensor([[ 1.,  2.],\n        [30.,  4.]])');
  });

  it('uses fixed precision, aligned columns and right-justified signs', () => {
    expect(
      String(
        tensor([
          [1.5, -2.25],
          [3, 4],
        ]),
      ),
    ).toBe('tensor([[ 1.5000, -2.2500],\n        [ 3.0000,  4.0000]])');
    expect(formatTensor(tensor([Math.PI, -Math.E]), { precision: 2 })).toBe('tensor([ 3.14, -2.72])');
  });

  it('switches to scientific notation for wide magnitude ranges', () => {
    expect(String(tensor([1e-5, 1, 100]))).toBe('tensor([1.0000e-05, 1.0000e+00, 1.0000e+02])');
    expect(String(tensor([1e9, 0.5], undefined, f64))).toBe('tensor([1.0000e+09, 5.0000e-01], dtype=float64)');
  });

  it('shows the dtype when not float32, and 0-d, empty and special values', () => {
    expect(String(tensor([1, -2, 3], undefined, i32))).toBe('tensor([ 1, -2,  3], dtype=int32)');
    expect(String(tensor(3.25))).toBe('tensor(3.2500)');
    expect(String(tensor(7, undefined, i32))).toBe('tensor(7, dtype=int32)');
    expect(String(tensor([]))).toBe('tensor([])');
    expect(String(new Tensor(new Float32Array(0), [0, 3]))).toBe('tensor([[]], shape=[0, 3])');
    expect(String(tensor([NaN, Infinity, -1.5]))).toBe('tensor([    nan,     inf, -1.5000])');
  });

  it('prints views in logical order', () => {
    const m = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(String(m.T)).toBe('tensor([[1., 4.],\n        [2., 5.],\n        [3., 6.]])');
    expect(`${m.slice(null, [null, null, -2])}`).toBe('tensor([[3., 1.],\n        [6., 4.]])');
    expect(String(tensor([7]).expand([2, 2]))).toBe('tensor([[7., 7.],\n        [7., 7.]])');
  });

  it('separates 3-D blocks with a blank line', () => {
    expect(String(arange(8).reshape(2, 2, 2))).toBe('tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])');
  });

  it('elides large tensors with ... and shows the shape', () => {
    const s = String(arange(2000).reshape(40, 50));
    const lines = s.split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toBe('tensor([[   0.,    1.,    2., ...,   47.,   48.,   49.],');
    expect(lines[3]).toBe('        ...,');
    expect(lines[6]).toBe('        [1950., 1951., 1952., ..., 1997., 1998., 1999.]], shape=[40, 50])');
    expect(String(arange(1001))).toBe('tensor([   0.,    1.,    2., ...,  998.,  999., 1000.], shape=[1001])');
    expect(String(arange(1000))).not.toContain('...');
    expect(formatTensor(arange(20), { threshold: 10, edgeItems: 2 })).toBe('tensor([ 0.,  1., ..., 18., 19.], shape=[20])');
  });

  it('wraps long rows within the line width', () => {
    const s = String(arange(100));
    const lines = s.split('\n');
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(75);
    expect(lines[1]!.startsWith('        ')).toBe(true);
    expect(s.replace(/\s+/g, '')).toBe(`tensor([${Array.from({ length: 100 }, (_, i) => `${i}.`).join(',')}])`);
  });
});
