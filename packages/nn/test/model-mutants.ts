// Mutants of a saved model file and the verdict on each, shared by the in-suite fuzz test (model-fuzz.test.ts) and
// the longer fuzz script (examples/fuzz/model-files.ts). A mutant must be refused with a TapegradError, or load
// into a model whose predictions and one training epoch are finite: never a raw TypeError/RangeError, never NaN.
import type { Tensor } from '@tapegrad/tensor';

/** One mutated model document: how it was made and its text. */
export interface Mutant {
  label: string;
  text: string;
}

/** The replacement values of a structural mutation; `undefined` stands for "deleted". */
export const STRUCTURAL_VALUES: readonly unknown[] = [null, {}, [], 'a string', -1, 1e308, true, undefined];

/** Every single-byte flip of `text` (its UTF-8 bytes XOR each mask), decoded back as a JSON reader would. */
export function* byteFlips(text: string, masks: readonly number[] = [0x01]): Generator<Mutant> {
  const bytes = new TextEncoder().encode(text);
  const decoder = new TextDecoder();
  for (let i = 0; i < bytes.length; i++) {
    for (const mask of masks) {
      const copy = bytes.slice();
      copy[i] = copy[i]! ^ mask;
      yield { label: `byte ${i} ^ 0x${mask.toString(16)}`, text: decoder.decode(copy) };
    }
  }
}

/** The path of every value inside a JSON document (object keys and array indices), the root excluded. */
export function jsonPaths(doc: unknown): (string | number)[][] {
  const out: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]): void => {
    if (path.length > 0) out.push(path);
    if (Array.isArray(v)) v.forEach((item, i) => walk(item, [...path, i]));
    else if (v !== null && typeof v === 'object') for (const [k, item] of Object.entries(v)) walk(item, [...path, k]);
  };
  walk(doc, []);
  return out;
}

/** `text` with the value at `path` replaced by `value` (deleted when `value` is undefined). */
export function replaceAt(text: string, path: readonly (string | number)[], value: unknown): string {
  const doc = JSON.parse(text) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = doc;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value !== undefined) parent[last] = structuredClone(value);
  else if (Array.isArray(parent)) parent.splice(last as number, 1);
  else delete parent[last];
  return JSON.stringify(doc);
}

/** Every structural mutation of `text`: each value replaced by each of {@link STRUCTURAL_VALUES}. */
export function* structuralMutations(text: string): Generator<Mutant> {
  for (const path of jsonPaths(JSON.parse(text))) {
    for (const value of STRUCTURAL_VALUES) {
      const what = value === undefined ? 'deleted' : JSON.stringify(value);
      yield { label: `${path.join('.')} = ${what}`, text: replaceAt(text, path, value) };
    }
  }
}

/** What the verdict needs from `@tapegrad/nn` (passed in, so the script can judge another tree's build). */
export interface ModelApi {
  fromJSON(text: string): FuzzModel;
}

/** The part of a Sequential model the verdict uses. */
export interface FuzzModel {
  readonly isCompiled: boolean;
  compile(options: { optimizer: string; loss: string }): unknown;
  predict(x: Tensor): Tensor;
  fit(x: Tensor, y: Tensor, options: { epochs: number; batchSize: number; verbose: 0 }): { history: Record<string, number[]> };
  getWeights(): Tensor[];
}

/** The verdict on one mutant. */
export type Outcome = 'refused' | 'loaded' | 'raw' | 'nan';

/** Counts of each {@link Outcome}, and an example of each failure. */
export interface Tally {
  tried: number;
  refused: number;
  loaded: number;
  raw: number;
  nan: number;
  examples: string[];
}

const TAPEGRAD_ERRORS = new Set(['TapegradError', 'ValueError', 'ShapeError', 'DTypeError', 'IndexError']);

/** True for the project's own error classes (by name, so another tree's classes count too). */
export function isTapegradError(e: unknown): boolean {
  let proto = e !== null && typeof e === 'object' ? Object.getPrototypeOf(e) : null;
  while (proto && proto !== Error.prototype) {
    if (TAPEGRAD_ERRORS.has(proto.constructor?.name)) return true;
    proto = Object.getPrototypeOf(proto);
  }
  return false;
}

const allFinite = (t: Tensor): boolean => Array.from(t.values()).every(Number.isFinite);

/**
 * Loads `text`; a TapegradError is 'refused'. A model that loads must predict finite outputs for `x` and train one
 * finite epoch on (x, y) (compiled with adam + `loss` when the file has no compile section): otherwise 'nan', or
 * 'raw' for an error that is not a TapegradError. A TapegradError from fit that is not about a non-finite loss (the
 * loaded model was compiled for other labels) still counts as 'loaded'.
 */
export function judge(api: ModelApi, text: string, x: Tensor, y: Tensor, loss: string): { outcome: Outcome; detail: string } {
  let model: FuzzModel;
  try {
    model = api.fromJSON(text);
  } catch (e) {
    return isTapegradError(e) ? { outcome: 'refused', detail: '' } : { outcome: 'raw', detail: `load: ${describeError(e)}` };
  }
  try {
    if (!allFinite(model.predict(x))) return { outcome: 'nan', detail: 'non-finite predictions' };
    if (!model.isCompiled) model.compile({ optimizer: 'adam', loss });
    const h = model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    if (!(h.history.loss ?? []).every(Number.isFinite)) return { outcome: 'nan', detail: 'non-finite training loss' };
    if (!model.getWeights().every(allFinite)) return { outcome: 'nan', detail: 'non-finite weights after an epoch' };
    if (!allFinite(model.predict(x))) return { outcome: 'nan', detail: 'non-finite predictions after an epoch' };
    return { outcome: 'loaded', detail: '' };
  } catch (e) {
    if (!isTapegradError(e)) return { outcome: 'raw', detail: `use: ${describeError(e)}` };
    if (/loss became/.test((e as Error).message)) return { outcome: 'nan', detail: (e as Error).message.slice(0, 160) };
    return { outcome: 'loaded', detail: '' };
  }
}

function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message.slice(0, 160)}` : String(e);
}

/** An empty tally. */
export const emptyTally = (): Tally => ({ tried: 0, refused: 0, loaded: 0, raw: 0, nan: 0, examples: [] });

/** Judges every mutant into `tally`, keeping up to `keep` examples of failures. */
export function judgeAll(
  api: ModelApi,
  mutants: Iterable<Mutant>,
  data: { x: Tensor; y: Tensor; loss: string },
  tally: Tally = emptyTally(),
  keep = 20,
): Tally {
  for (const m of mutants) {
    const { outcome, detail } = judge(api, m.text, data.x, data.y, data.loss);
    tally.tried++;
    tally[outcome]++;
    if ((outcome === 'raw' || outcome === 'nan') && tally.examples.length < keep) tally.examples.push(`${m.label}: ${outcome} ${detail}`);
  }
  return tally;
}
