import { Variable } from '@tapegrad/autograd';
import { ShapeError, Tensor, ValueError, fmtShape, fmtValue } from '@tapegrad/tensor';
import { MAX_NAME_LENGTH } from '../io/limits.js';
import { FORBIDDEN_KEYS } from '../io/safe-json.js';

// Checks of the settings a model is given, made where they are given with the bounds of the model file
// (io/limits.ts), so that a model that trains can also be saved; and how a value appears in those messages.

/** Control characters (C0, DEL, C1): they break the lines and tables names are printed in (`summary()`). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A model name: a string of at most {@link MAX_NAME_LENGTH} characters, without control characters. */
export function checkModelName(fn: string, name: unknown): string {
  return checkName(fn, name, 'name');
}

/**
 * A layer name: `''` (named by `Sequential.add`) or a string of at most {@link MAX_NAME_LENGTH} characters, without
 * control characters (newline, tab, …).
 */
export function checkLayerName(fn: string, name: unknown, what = 'name'): string {
  return checkName(fn, name, what);
}

function checkName(fn: string, name: unknown, what: string): string {
  if (typeof name !== 'string' || name.length > MAX_NAME_LENGTH) {
    throw new ValueError(`${fn}: ${what} must be a string of at most ${MAX_NAME_LENGTH} characters, got ${fmtValue(name)}`);
  }
  const bad = CONTROL.exec(name);
  if (bad) {
    const code = `U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    throw new ValueError(`${fn}: ${what} ${JSON.stringify(name)} contains the control character ${code}; names must be printable`);
  }
  return name;
}

/**
 * The name of a layer with a seed of its own (a seeded Dropout), which keys its generator state in a model file: not
 * `__proto__`, `constructor` or `prototype`, which a file cannot use as keys.
 */
export function checkSeededLayerName(fn: string, name: string): void {
  if (FORBIDDEN_KEYS.has(name)) {
    throw new ValueError(
      `${fn}: name ${JSON.stringify(name)} is reserved for a layer with its own seed (a model file cannot use it as a key); choose another`,
    );
  }
}

/** A boolean option (`useBias`, `trainable`, `fromLogits`, …): refuses the truthy values a model file would refuse. */
export function checkBoolean(fn: string, what: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ValueError(`${fn}: ${what} must be a boolean, got ${fmtValue(v)}`);
  return v;
}

/**
 * Refuses what a custom or registered activation returned unless it is a Variable of its input's shape and dtype that
 * keeps the gradient path (requires a gradient whenever its input does): a Tensor (`x.value`), a detached Variable or
 * one of another shape would silently stop the layers before it from training, or fail deep inside the next op.
 * `where` names the layer, `label` the activation.
 */
export function checkActivationResult(where: string, label: string, input: Variable, out: unknown): Variable {
  const fn = `${where}: the activation ${label}`;
  const want = `a Variable of its input's shape ${fmtShape(input.shape)} computed from the input with autograd ops (relu(x), x.mul(2), …)`;
  if (!(out instanceof Variable)) {
    const got = out instanceof Tensor ? `a Tensor ${fmtShape(out.shape)} (not a Variable: it cuts the gradient path)` : fmtValue(out);
    throw new ValueError(`${fn} returned ${got}; an activation must return ${want}`);
  }
  if (out.shape.length !== input.shape.length || out.shape.some((d, i) => d !== input.shape[i])) {
    throw new ShapeError(`${fn} returned a Variable of shape ${fmtShape(out.shape)}; an activation must return ${want}`);
  }
  if (out.dtype !== input.dtype) {
    throw new ValueError(`${fn} returned a ${out.dtype} Variable for a ${input.dtype} input; an activation must keep its input's dtype`);
  }
  if (input.requiresGrad && !out.requiresGrad) {
    throw new ValueError(
      `${fn} returned a Variable that does not depend on its input (detach(), variable(x.value) or noGrad cut the gradient ` +
        `path, so the layers before it would never train); an activation must return ${want}`,
    );
  }
  return out;
}
