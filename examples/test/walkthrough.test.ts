import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from './temp-dirs.js';
import { run } from '../autodiff-walkthrough/main.js';

const tmp = tempDirs('tapegrad-walkthrough-');

describe('examples/autodiff-walkthrough', () => {
  it('records the forward pass on the tape in order and writes DOT and Mermaid graphs', () => {
    const out = tmp();
    const r = run({ outDir: out });
    const ops = r.tape.map((e) => e.op);
    expect(ops.slice(0, 4)).toEqual(['linear', 'sigmoid', 'linear', 'softmax']);
    expect(ops).toContain('log');
    expect(r.tape.map((e) => e.index)).toEqual(ops.map((_, i) => i));
    expect(r.tape[0]!.inputs.map((i) => i.label)).toEqual(['x', 'hidden/kernel', 'hidden/bias']);
    expect(r.tape[r.tape.length - 1]!.label).toBe('loss');
    expect(r.tape[r.tape.length - 1]!.outputShape).toEqual([]);
    expect(r.tapeText.split('\n')[2]).toMatch(/^0\s+linear/);

    const dot = readFileSync(join(out, 'graph.dot'), 'utf8');
    expect(dot).toBe(r.dot + '\n');
    expect(dot.startsWith('digraph')).toBe(true);
    expect(dot).toContain('hidden/kernel');
    expect(dot.trimEnd().endsWith('}')).toBe(true);
    const mmd = readFileSync(join(out, 'graph.mmd'), 'utf8');
    expect(mmd.startsWith('flowchart LR')).toBe(true);
    expect(mmd).toContain('softmax');
    expect(readFileSync(r.markdownPath, 'utf8')).toContain('```mermaid\n' + r.mermaid + '\n```');
    // every op on the tape appears as a node in both exports
    for (const e of r.tape) expect(dot).toContain(e.op);
  });

  it.each(['sigmoid', 'tanh', 'relu'])('explainBackprop agrees with autograd per layer (hidden %s)', (hidden) => {
    const r = run({ outDir: tmp(), hidden, seed: 3 });
    const e = r.explanation;
    expect(e.layers.map((l) => l.layer)).toEqual(['hidden', 'output']);
    expect(e.layers.map((l) => l.activation)).toEqual([hidden, 'softmax']);
    expect(e.maxDiff).toBeLessThan(1e-5);
    for (const l of e.layers) expect(l.maxDiff).toBeLessThan(1e-5);
    expect(Math.abs(e.lossHand - r.loss)).toBeLessThan(1e-12);
    // the autograd gradients printed by backward() are the ones the table compares
    const kernelGrad = e.layers[0]!.dWAutograd.values();
    expect(kernelGrad.some((v) => v !== 0)).toBe(true);
    expect(r.explanationText).toContain('hidden');
    expect(r.explanationText).toContain('max |diff|');
  });
});
