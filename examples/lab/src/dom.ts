// Small DOM and number-formatting helpers shared by the lab's sections.
import type { Tensor } from '@tapegrad/tensor';

type Attributes = Record<string, string | number | boolean | null | undefined>;
type Child = Node | string | null | undefined | false;

/** Sets the attributes (false/null/undefined skipped, true as a present empty attribute) and appends the children. */
function fill<E extends Element>(element: E, attributes: Attributes, children: Child[]): E {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) element.append(child);
  return element;
}

/** Creates an element with attributes (`class`, `aria-*`, …; false/null/undefined are skipped) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  return fill(document.createElement(tag), attributes, children);
}

/** Creates an SVG element with attributes and children. */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  return fill(document.createElementNS('http://www.w3.org/2000/svg', tag), attributes, children);
}

/** The element with this id; throws naming the id when the page lacks it. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`lab: the page has no element #${id}`);
  return element as T;
}

/** A number with `digits` significant digits, without trailing noise (`0.5`, `-1.18`, `3.2e-7`). */
export function fmt(x: number, digits = 4): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-4 || a >= 1e6) return x.toExponential(Math.max(0, digits - 2));
  return String(Number(x.toPrecision(digits)));
}

/** A tensor as text: a scalar as a number, otherwise nested brackets with at most `max` numbers shown. */
export function fmtTensor(t: Tensor, digits = 4, max = 8): string {
  const values = t.values();
  if (t.ndim === 0) return fmt(values[0]!, digits);
  let shown = 0;
  const walk = (axis: number, offset: number, stride: number): string => {
    const n = t.shape[axis]!;
    const inner = stride / n;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
      if (shown >= max) {
        parts.push('…');
        break;
      }
      if (axis === t.ndim - 1) {
        parts.push(fmt(values[offset + i]!, digits));
        shown++;
      } else parts.push(walk(axis + 1, offset + i * inner, inner));
    }
    return `[${parts.join(', ')}]`;
  };
  return walk(0, 0, t.size);
}

/** Full-precision values for tests and screen readers: the flat values as a JSON array. */
export const exactValues = (t: Tensor): string => JSON.stringify(Array.from(t.values()));
