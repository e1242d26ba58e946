/** The element types a tensor can hold. `float32` is the default; `float64` exists for exact checks. */
export type DType = 'float32' | 'float64' | 'int32';

/** The typed array that backs a tensor of each dtype. */
export type TypedArray = Float32Array | Float64Array | Int32Array;

/** Allocates a zero-filled typed array of `dtype` with `size` elements. */
export function allocate(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
  }
}

/** The dtype of a typed array. */
export function dtypeOf(data: TypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return 'int32';
}

/** True for the floating dtypes. */
export const isFloat = (dtype: DType): dtype is 'float32' | 'float64' => dtype !== 'int32';

/** The dtype a float-valued op (exp, mean, div, matmul, …) computes in: int32 gives float32, floats are kept. */
export const floatDtype = (dtype: DType): DType => (dtype === 'int32' ? 'float32' : dtype);

/** The dtype of a binary op's result: the wider float wins; int32 op int32 stays int32. */
export function promote(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === 'float64' || b === 'float64') return 'float64';
  return 'float32';
}
