/**
 * Autodiff walkthrough, checkable by hand: a 2-3-2 network (sigmoid hidden layer, softmax output, cross-entropy
 * written out op by op) runs forward on two examples. The script prints the weights, each layer's pre-activation,
 * output and δ, the tape the forward pass recorded (with each op's derivative rule), the gradient arriving at every
 * tape entry during backward, and the hand-derived delta rule next to the gradients read off that same tape; it
 * writes the graph as Graphviz DOT and Mermaid, and reproduces a classic published worked example to the digit.
 *
 * Run: `pnpm example:walkthrough` (or `tsx examples/autodiff-walkthrough/main.ts [--out DIR]`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type TapeRow, toDot, toMermaid } from '@tapegrad/autograd';
import { type BackpropExplanation, type Sequential, explainBackprop, formatExplanation } from '@tapegrad/nn';
import { flag, runIfMain } from '../shared/cli.js';
import { type PublishedNumber, mazur } from './mazur.js';
import { type ArrivingGradient, type Comparison, walkNetwork } from './network.js';

/** Options of {@link run}. */
export interface WalkthroughOptions {
  /** Folder for `graph.dot`, `graph.mmd` and `graph.md` (default `out/autodiff-walkthrough`). */
  outDir?: string;
  /** Hidden activation (default `sigmoid`, as in the classic hand-worked example). */
  hidden?: string;
  seed?: number;
  /** Print everything (default false). */
  verbose?: boolean;
  /** Reproduce Matt Mazur's worked example too (default true; it trains 9,999 steps for its last number). */
  classic?: boolean;
}

/** What {@link run} produced. */
export interface WalkthroughResult {
  loss: number;
  tape: TapeRow[];
  /** The tape listing with each op's derivative rule. */
  tapeText: string;
  /** The gradient arriving at every tape entry, last entry first. */
  arriving: ArrivingGradient[];
  /** The hand-derived δ, ∂W, ∂b of each layer against the same numbers read off the unfused tape. */
  comparisons: Comparison[];
  /** Mazur's published numbers next to tapegrad's (empty with `classic: false`). */
  published: PublishedNumber[];
  dotPath: string;
  mermaidPath: string;
  /** `graph.md`: the Mermaid graph in a fenced block, rendered by GitHub. */
  markdownPath: string;
  dot: string;
  mermaid: string;
  /** `explainBackprop` on the same model and batch: the comparison through `fit`'s fused softmax + cross-entropy. */
  explanation: BackpropExplanation;
  explanationText: string;
  /** Everything the walkthrough prints. */
  text: string;
  model: Sequential;
}

/** Builds the tiny network, prints every number of its forward and backward pass, writes the graph files. */
export function run(options: WalkthroughOptions = {}): WalkthroughResult {
  const { outDir = join('out', 'autodiff-walkthrough'), hidden = 'sigmoid', seed = 0, verbose = false, classic = true } = options;
  const walk = walkNetwork(hidden, seed);
  const lines = [...walk.lines];

  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const dot = toDot(walk.loss, { grads: true, direction: 'LR' });
  const mermaid = toMermaid(walk.loss, { direction: 'LR' });
  const dotPath = join(dir, 'graph.dot');
  const mermaidPath = join(dir, 'graph.mmd');
  const markdownPath = join(dir, 'graph.md');
  writeFileSync(dotPath, dot + '\n');
  writeFileSync(mermaidPath, mermaid + '\n');
  // GitHub and most Markdown viewers render a fenced mermaid block as the diagram.
  writeFileSync(markdownPath, `# The tape of the walkthrough's loss\n\n\`\`\`mermaid\n${mermaid}\n\`\`\`\n`);

  const worked = classic ? mazur() : { numbers: [], lines: [] };
  lines.push(...worked.lines, '');

  // The library's own side-by-side table, through the fused softmax + cross-entropy that fit() trains with.
  const explanation = explainBackprop(walk.model, walk.x, walk.targets);
  const explanationText = formatExplanation(explanation);
  lines.push(
    '7. explainBackprop(model, x, t) makes the comparison of step 5 for any Sequential of Dense layers, through the fused',
    '   softmax + cross-entropy that fit() trains with (whose δ is the closed form (o − t)/n itself):',
    ...explanationText.split('\n').map((l) => `   ${l}`),
    '',
    `wrote ${dotPath} (render: dot -Tsvg ${dotPath} -o graph.svg), ${mermaidPath} and ${markdownPath}`,
  );
  const text = lines.join('\n');
  if (verbose) console.log(text);
  return {
    loss: walk.loss.item(),
    tape: walk.tape,
    tapeText: walk.tapeText,
    arriving: walk.arriving,
    comparisons: walk.comparisons,
    published: worked.numbers,
    dotPath,
    mermaidPath,
    markdownPath,
    dot,
    mermaid,
    explanation,
    explanationText,
    text,
    model: walk.model,
  };
}

runIfMain(import.meta.url, 'autodiff-walkthrough', 'usage: tsx examples/autodiff-walkthrough/main.ts [--out DIR]', (argv) => {
  const outDir = flag(argv, '--out');
  run({ verbose: true, ...(outDir !== undefined ? { outDir } : {}) });
});
