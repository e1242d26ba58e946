/** docs/autodiff.md ("How reverse mode works"): every code block runs as written and prints the output the page states. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tensor from '@tapegrad/tensor';
import * as autograd from '../src/index.js';
import { runBlock, tsBlocks } from './doc-blocks.js';

const page = readFileSync(new URL('../../../docs/autodiff.md', import.meta.url), 'utf8');
const blocks = tsBlocks(page);

describe('docs/autodiff.md', () => {
  it('has a code block with its stated output in every section', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    for (const b of blocks) expect(b.output, `the block at line ${b.line} states what it prints`).not.toBeNull();
    const sections = [...page.matchAll(/^## (.*)$/gm)].map((m) => m[1]!);
    expect(sections).toHaveLength(8);
    for (const s of sections) expect(blocks.some((b) => b.section === s), `a block in '${s}'`).toBe(true);
  });

  for (const block of blocks) {
    it(`${block.section}: the block at line ${block.line} prints what the page says`, () => {
      const printed = runBlock(block, { '@tapegrad/autograd': autograd, '@tapegrad/tensor': tensor });
      expect(printed).toBe(block.output);
    });
  }

  it('a changed block prints something else, and an import the page may not use is refused', () => {
    const first = blocks[0]!;
    const changed = { ...first, code: first.code.replace('const L = d.mul(d)', 'const L = d.add(d)') };
    expect(changed.code).not.toBe(first.code);
    expect(runBlock(changed, { '@tapegrad/autograd': autograd, '@tapegrad/tensor': tensor })).not.toBe(first.output);
    expect(() => runBlock(first, { '@tapegrad/tensor': tensor })).toThrow(/imports '@tapegrad\/autograd'/);
  });
});
