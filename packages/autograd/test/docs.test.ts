/** docs/backprop.md, section 7: the forward-vs-reverse snippet runs as written and prints a column and a row of J. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tensor from '@tapegrad/tensor';
import * as autograd from '../src/index.js';
import { runBlockCalls, tsBlocks } from './doc-blocks.js';

describe('docs/backprop.md', () => {
  it('the forward mode vs reverse mode snippet runs as written', () => {
    const page = readFileSync(new URL('../../../docs/backprop.md', import.meta.url), 'utf8');
    const block = tsBlocks(page).find((b) => b.section === '7. Forward mode vs reverse mode')!;
    const imports = [...block.code.matchAll(/^import \{ ([^}]+) \} from '([^']+)';$/gm)];
    expect(imports.map((m) => m[2])).toEqual(['@tapegrad/autograd', '@tapegrad/tensor']);
    const modules: Record<string, Record<string, unknown>> = { '@tapegrad/autograd': autograd, '@tapegrad/tensor': tensor };
    for (const [, list, from] of imports) {
      const names = list!
        .split(',')
        .map((n) => n.trim())
        .filter((n) => !n.startsWith('type '));
      for (const n of names) expect(modules[from!], `snippet imports ${n} from ${from}`).toHaveProperty(n);
    }
    const printed = runBlockCalls(block, modules);
    expect(printed).toHaveLength(1);
    const [value, tangent, row] = printed[0] as number[][];
    expect(value![0]).toBe(6);
    expect(value![1]).toBeCloseTo(Math.sin(2), 14);
    expect(tangent![0]).toBe(3);
    expect(tangent![1]).toBeCloseTo(Math.cos(2), 14);
    expect(row).toEqual([3, 2]);
  });
});
