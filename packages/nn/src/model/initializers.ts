import { Generator, Tensor, ValueError } from '@tapegrad/tensor';

/** Draws a float32 weight tensor of `shape` from `generator`. */
export type Initializer = (shape: readonly number[], generator: Generator) => Tensor;

/** Fan-in and fan-out as Keras computes them: `[in, out]` for a Dense kernel, `n` for both of a vector. */
export function computeFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  let receptive = 1;
  for (let i = 0; i < shape.length - 2; i++) receptive *= shape[i]!;
  return { fanIn: shape[shape.length - 2]! * receptive, fanOut: shape[shape.length - 1]! * receptive };
}

function draw(shape: readonly number[], fill: (data: Float32Array) => void): Tensor {
  let size = 1;
  for (const d of shape) size *= d;
  const data = new Float32Array(size);
  fill(data);
  return new Tensor(data, shape);
}

function uniformIn(shape: readonly number[], g: Generator, low: number, high: number): Tensor {
  return draw(shape, (d) => {
    const span = high - low;
    for (let i = 0; i < d.length; i++) d[i] = low + span * g.random();
  });
}

function normalWith(shape: readonly number[], g: Generator, mean: number, std: number): Tensor {
  return draw(shape, (d) => {
    for (let i = 0; i < d.length; i++) d[i] = mean + std * g.normal();
  });
}

/** Glorot/Xavier uniform: U(−l, l) with l = √(6 / (fanIn + fanOut)) (Keras' default kernel initializer). */
export const glorotUniform: Initializer = (shape, g) => {
  const { fanIn, fanOut } = computeFans(shape);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return uniformIn(shape, g, -limit, limit);
};

/** Glorot/Xavier normal: N(0, σ²) with σ = √(2 / (fanIn + fanOut)) (untruncated, as PyTorch's xavier_normal_). */
export const glorotNormal: Initializer = (shape, g) => {
  const { fanIn, fanOut } = computeFans(shape);
  return normalWith(shape, g, 0, Math.sqrt(2 / (fanIn + fanOut)));
};

/** He uniform: U(−l, l) with l = √(6 / fanIn), for ReLU layers. */
export const heUniform: Initializer = (shape, g) => {
  const limit = Math.sqrt(6 / computeFans(shape).fanIn);
  return uniformIn(shape, g, -limit, limit);
};

/** He normal: N(0, σ²) with σ = √(2 / fanIn) (untruncated). */
export const heNormal: Initializer = (shape, g) => normalWith(shape, g, 0, Math.sqrt(2 / computeFans(shape).fanIn));

/** LeCun normal: N(0, σ²) with σ = √(1 / fanIn) (untruncated). */
export const lecunNormal: Initializer = (shape, g) => normalWith(shape, g, 0, Math.sqrt(1 / computeFans(shape).fanIn));

/** Normal N(0, 0.05²), Keras' RandomNormal default. */
export const normal: Initializer = (shape, g) => normalWith(shape, g, 0, 0.05);

/** Uniform U(−0.05, 0.05), Keras' RandomUniform default. */
export const uniform: Initializer = (shape, g) => uniformIn(shape, g, -0.05, 0.05);

/** All zeros (Keras' default bias initializer); draws nothing from the generator. */
export const zeros: Initializer = (shape) => draw(shape, () => {});

/** All ones; draws nothing from the generator. */
export const ones: Initializer = (shape) => draw(shape, (d) => d.fill(1));

const registry: Record<string, Initializer> = {
  glorotUniform,
  glorotNormal,
  xavierUniform: glorotUniform,
  xavierNormal: glorotNormal,
  heUniform,
  heNormal,
  lecunNormal,
  normal,
  randomNormal: normal,
  uniform,
  randomUniform: uniform,
  zeros,
  ones,
};

/** The initializer names accepted by {@link getInitializer} and the layers' `kernelInitializer`/`biasInitializer`. */
export const initializerNames: readonly string[] = Object.freeze(Object.keys(registry));

/** Looks an initializer up by name (also snake_case, e.g. `glorot_uniform`), or returns a function unchanged. */
export function getInitializer(nameOrFn: string | Initializer): Initializer {
  if (typeof nameOrFn === 'function') return nameOrFn;
  const key = normalizeName(nameOrFn);
  if (Object.prototype.hasOwnProperty.call(registry, key)) return registry[key]!;
  throw new ValueError(`getInitializer: unknown initializer '${nameOrFn}'; expected one of ${initializerNames.join(', ')}`);
}

/** `glorot_uniform` → `glorotUniform`; camelCase names pass through. */
export function normalizeName(name: string): string {
  return name.replace(/[_-]([a-z])/g, (_, c: string) => c.toUpperCase());
}
