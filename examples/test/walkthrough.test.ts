import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { variable } from '@tapegrad/autograd';
import { getLoss } from '@tapegrad/nn';
import { tempDirs } from './temp-dirs.js';
import { run } from '../autodiff-walkthrough/main.js';
import { inputs } from '../autodiff-walkthrough/network.js';

const tmp = tempDirs('tapegrad-walkthrough-');
let shared: ReturnType<typeof run> | null = null;
/** One default run, shared by the tests that only read it. */
const base = (): ReturnType<typeof run> => (shared ??= run({ outDir: tmp() }));

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
    const r = run({ outDir: tmp(), hidden, seed: 3, classic: false });
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

  it('writes the cross-entropy out op by op, with every constant named, and it is the nn loss to the bit', () => {
    const r = base();
    expect(r.tape.map((e) => e.op)).toEqual(['linear', 'sigmoid', 'linear', 'softmax', 'clip', 'log', 'mul', 'sum', 'neg', 'div']);
    expect(r.tape.map((e) => e.label)).toEqual(['net₁', 'a₁', 'net₂', 'o', 'clip(o)', 'log', 't·log', 'Σ t·log', '−Σ t·log', 'loss']);
    const labels = r.tape.flatMap((e) => e.inputs.map((i) => i.label));
    expect(labels).toContain('n = 2');
    expect(labels.filter((l) => /^(leaf\d+|#\d+)$/.test(l))).toEqual([]);
    expect(r.tape.some((e) => e.op === 'softmaxCrossEntropy')).toBe(false); // unfused: softmax's own VJP runs
    const { x, targets } = inputs();
    expect(getLoss('categoricalCrossentropy')(r.model.call(variable(x)), targets).item()).toBe(r.loss);
  });

  it('prints the gradient arriving at every entry; the clip passes it through because every o is inside [ε, 1 − ε]', () => {
    const r = base();
    expect(r.arriving.map((a) => a.entry.index)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const at = (label: string) => r.arriving.find((a) => a.entry.label === label)!.gradient;
    expect(at('loss').item()).toBe(1);
    expect(at('−Σ t·log').item()).toBe(0.5); // div: g/n
    expect(at('Σ t·log').item()).toBe(-0.5); // neg: −g
    const { targets } = inputs();
    const o = r.model.predict(inputs().x);
    expect(at('o').equals(at('clip(o)'))).toBe(true);
    const expected = targets.mul(-0.5).div(o.astype('float64'));
    expect(Math.max(...Array.from(at('o').sub(expected).abs().values()))).toBeLessThan(1e-15);
    expect(r.text).toContain('Every o here is inside');
  });

  it('compares the hand-derived δ, ∂W, ∂b of each layer with the unfused tape, to round-off', () => {
    for (const hidden of ['sigmoid', 'tanh', 'relu']) {
      const r = run({ outDir: tmp(), hidden, seed: 3, classic: false });
      expect(r.comparisons.map((c) => c.quantity)).toEqual(['δ₂', '∂W₂', '∂b₂', 'δ₁', '∂W₁', '∂b₁']);
      for (const c of r.comparisons) {
        expect(c.hand.shape, c.quantity).toEqual(c.tape.shape);
        expect(c.maxDiff, `${hidden} ${c.quantity}`).toBeLessThan(1e-15);
        expect(Array.from(c.tape.values()).some((v) => v !== 0)).toBe(true);
      }
    }
  });

  it('∂W₂ has mirrored columns because every row of δ₂ = (o − t)/n sums to 0', () => {
    const r = base();
    const dW2 = r.comparisons.find((c) => c.quantity === '∂W₂')!.tape.toArray() as number[][];
    for (const [left, right] of dW2) expect(Math.abs(left! + right!)).toBeLessThan(1e-16);
    const delta2 = r.comparisons.find((c) => c.quantity === 'δ₂')!.hand.toArray() as number[][];
    for (const row of delta2) expect(Math.abs(row[0]! + row[1]!)).toBeLessThan(1e-16);
    expect(r.text).toContain('Why ∂W₂ (and ∂b₂) has mirrored ± columns');
  });

  it("reproduces Matt Mazur's 2-2-2 worked example to every printed digit", () => {
    const r = base();
    expect(r.published.length).toBe(16);
    for (const n of r.published) expect(n.value.toFixed(n.published.split('.')[1]!.length), n.name).toBe(n.published);
    expect(r.published.every((n) => n.matches)).toBe(true);
    const w5 = r.published.find((n) => n.name === 'w5⁺')!;
    expect(w5.value).toBeCloseTo(0.35891648, 8);
    expect(r.published.find((n) => n.name === 'E_total')!.value).toBeCloseTo(0.298371109, 9);
  });

  it('prints readable numbers: fixed decimals, no raw JSON dumps of 17-digit floats', () => {
    const r = base();
    expect(r.text).not.toMatch(/\d\.\d{13,}/);
    expect(r.text).not.toContain('[[');
    expect(r.text).toContain('W₁ = hidden/kernel');
    expect(r.text).toContain('net₁ = x·W₁ + b₁');
    expect(r.text).toContain('#0 linear → net₁ = δ₁');
  });
});
