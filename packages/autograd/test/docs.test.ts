/** docs/backprop.md, section 7: the forward-vs-reverse snippet runs as written and prints a column and a row of J. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tensor } from '@tapegrad/tensor';
import { jvp, stack, vjp } from '../src/index.js';

describe('docs/backprop.md', () => {
  it('the forward mode vs reverse mode snippet runs as written', () => {
    const page = readFileSync(new URL('../../../docs/backprop.md', import.meta.url), 'utf8');
    const section = page.slice(page.indexOf('## 7. Forward mode vs reverse mode'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
    const imports = [...code.matchAll(/^import \{ ([^}]+) \} from '([^']+)';$/gm)];
    expect(imports.map((m) => m[2])).toEqual(['@tapegrad/autograd', '@tapegrad/tensor']);
    const available: Record<string, unknown> = { jvp, stack, vjp, tensor };
    const names = imports.flatMap((m) =>
      m[1]!
        .split(',')
        .map((n) => n.trim())
        .filter((n) => !n.startsWith('type ')),
    );
    for (const n of names) expect(available, `snippet imports ${n}`).toHaveProperty(n);
    // Strip the imports and the TypeScript-only syntax, then run it.
    const body = code
      .replace(/^import .*$/gm, '')
      .replace(/\(x: Variable\): Variable =>/g, '(x) =>')
      .replace(/\]!\./g, '].');
    const printed: unknown[][] = [];
    new Function(...names, 'console', body)(...names.map((n) => available[n]), { log: (...args: unknown[]) => printed.push(args) });
    expect(printed).toHaveLength(1);
    const [value, tangent, row] = printed[0] as number[][];
    expect(value![0]).toBe(6);
    expect(value![1]).toBeCloseTo(Math.sin(2), 14);
    expect(tangent![0]).toBe(3);
    expect(tangent![1]).toBeCloseTo(Math.cos(2), 14);
    expect(row).toEqual([3, 2]);
  });
});
