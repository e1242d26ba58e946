/**
 * Runs the TypeScript blocks of a Markdown page as they are written: each ```ts block is compiled by esbuild (type
 * syntax removed, imports turned into `require` calls answered from a given table of modules) and run with a
 * console that records what it prints, formatted the way Node prints it. A page states each block's output in
 * the ```text block that follows it, so the test can hold the page to it.
 */
import { format } from 'node:util';
import { transformSync } from 'esbuild';

/** A ```ts block of a page, with the ```text block that follows it (its stated output), if any. */
export interface DocBlock {
  /** The section heading (`## …`) the block sits under. */
  section: string;
  /** The 1-based line of the opening fence. */
  line: number;
  /** The block's TypeScript source. */
  code: string;
  /** The stated output, or null when no ```text block follows. */
  output: string | null;
}

/** The ```ts blocks of `markdown`, in order. */
export function tsBlocks(markdown: string): DocBlock[] {
  const blocks: DocBlock[] = [];
  const fence = /^```(\w*)\n([\s\S]*?)^```\n?/gm;
  let section = '';
  let last: DocBlock | null = null;
  let lastEnd = -1;
  for (let m = fence.exec(markdown); m !== null; m = fence.exec(markdown)) {
    const before = markdown.slice(0, m.index);
    const headings = [...before.matchAll(/^## (.*)$/gm)];
    section = headings.length > 0 ? headings[headings.length - 1]![1]! : section;
    const line = before.split('\n').length;
    if (m[1] === 'ts') {
      last = { section, line, code: m[2]!, output: null };
      blocks.push(last);
    } else if (m[1] === 'text' && last !== null && markdown.slice(lastEnd, m.index).trim() === '') {
      last.output = m[2]!.replace(/\n$/, '');
    }
    lastEnd = m.index + m[0].length;
  }
  return blocks;
}

/** Runs one block with `modules` as the only importable packages and returns the arguments of each `console.log` call. */
export function runBlockCalls(block: DocBlock, modules: Record<string, unknown>): unknown[][] {
  const { code } = transformSync(block.code, { loader: 'ts', format: 'cjs', target: 'es2022' });
  const calls: unknown[][] = [];
  const require = (name: string): unknown => {
    if (!(name in modules)) throw new Error(`the block at line ${block.line} imports '${name}', which the page may not use`);
    return modules[name];
  };
  const console = { log: (...args: unknown[]) => calls.push(args) };
  new Function('require', 'console', 'module', 'exports', code)(require, console, { exports: {} }, {});
  return calls;
}

/** Runs one block with `modules` as the only importable packages and returns its printed lines. */
export function runBlock(block: DocBlock, modules: Record<string, unknown>): string {
  return runBlockCalls(block, modules)
    .map((args) => format(...args))
    .join('\n');
}
