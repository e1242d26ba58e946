/**
 * Autodiff walkthrough: a 2-3-2 network (sigmoid hidden layer, softmax output, cross-entropy loss) runs forward
 * on two inputs; the script prints the tape the forward pass recorded (the order backward walks in reverse),
 * writes the graph as Graphviz DOT and Mermaid, and prints `explainBackprop`'s side-by-side table of the
 * hand-derived delta rule and autograd's gradients for each layer.
 *
 * Run: `pnpm example:walkthrough` (or `tsx examples/autodiff-walkthrough/main.ts [--out DIR]`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type TapeRow, type Variable, formatTape, tape, toDot, toMermaid, variable } from '@tapegrad/autograd';
import { tensor, type Tensor } from '@tapegrad/tensor';
import { Dense, Sequential, explainBackprop, formatExplanation, getLoss, type BackpropExplanation } from '@tapegrad/nn';
import { runIfMain } from '../shared/cli.js';

/** Options of {@link run}. */
export interface WalkthroughOptions {
  /** Folder for `graph.dot`, `graph.mmd` and `graph.md` (default `out/autodiff-walkthrough`). */
  outDir?: string;
  /** Hidden activation (default `sigmoid`, as in the classic hand-worked example). */
  hidden?: string;
  seed?: number;
  /** Print everything (default false). */
  verbose?: boolean;
}

/** What {@link run} produced. */
export interface WalkthroughResult {
  loss: number;
  tape: TapeRow[];
  tapeText: string;
  dotPath: string;
  mermaidPath: string;
  /** `graph.md`: the Mermaid graph in a fenced block, rendered by GitHub. */
  markdownPath: string;
  dot: string;
  mermaid: string;
  explanation: BackpropExplanation;
  explanationText: string;
  model: Sequential;
}

/** Builds the tiny network, records and prints its tape, writes the graph files and compares the gradients. */
export function run(options: WalkthroughOptions = {}): WalkthroughResult {
  const { outDir = join('out', 'autodiff-walkthrough'), hidden = 'sigmoid', seed = 0, verbose = false } = options;
  const log = verbose ? (s: string) => console.log(s) : () => {};

  // float64 parameters so the hand-derived and autograd numbers can be compared to ~1e-15.
  const model = new Sequential({ seed, name: 'walkthrough' });
  model.add(new Dense(3, { activation: hidden, inputShape: [2], dtype: 'float64', name: 'hidden' }));
  model.add(new Dense(2, { activation: 'softmax', dtype: 'float64', name: 'output' }));
  model.compile({ optimizer: 'sgd', lr: 0.5, loss: 'categoricalCrossentropy' });

  const xs: Tensor = tensor(
    [
      [0.05, 0.1],
      [0.6, -0.3],
    ],
    undefined,
    { dtype: 'float64' },
  );
  const ys: Tensor = tensor(
    [
      [1, 0],
      [0, 1],
    ],
    undefined,
    { dtype: 'float64' },
  );

  // 1. Forward: every op application is appended to the tape of the result.
  const x = variable(xs, { name: 'x' });
  const probabilities = model.call(x);
  probabilities.name = 'probabilities';
  // (fit() trains through the fused softmax + cross-entropy op; here the two steps are kept apart to show them.)
  const loss: Variable = getLoss('categoricalCrossentropy')(probabilities, variable(ys, { name: 'targets' }));
  loss.name = 'loss';
  const entries = tape(loss);
  const tapeText = formatTape(loss);
  log(
    `loss = ${loss.item().toFixed(6)}\n\nThe tape, in the order the forward pass recorded it (backward walks it bottom-up):\n${tapeText}\n`,
  );

  // 2. Backward fills .grad of every parameter; the graph export can show those gradients.
  loss.backward();
  for (const [name, p] of model.namedParameters()) log(`∂loss/∂${name} = ${JSON.stringify(p.grad!.toArray())}`);
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const dot = toDot(loss, { grads: true, direction: 'LR' });
  const mermaid = toMermaid(loss, { direction: 'LR' });
  const dotPath = join(dir, 'graph.dot');
  const mermaidPath = join(dir, 'graph.mmd');
  const markdownPath = join(dir, 'graph.md');
  writeFileSync(dotPath, dot + '\n');
  writeFileSync(mermaidPath, mermaid + '\n');
  // GitHub and most Markdown viewers render a fenced mermaid block as the diagram.
  writeFileSync(markdownPath, `# The tape of the walkthrough's loss\n\n\`\`\`mermaid\n${mermaid}\n\`\`\`\n`);
  log(`\nwrote ${dotPath} (render: dot -Tsvg ${dotPath} -o graph.svg), ${mermaidPath} and ${markdownPath}\n`);

  // 3. The delta rule by hand next to autograd, per layer.
  model.zeroGrad();
  const explanation = explainBackprop(model, xs, ys);
  const explanationText = formatExplanation(explanation);
  log(explanationText);
  return {
    loss: loss.item(),
    tape: entries,
    tapeText,
    dotPath,
    mermaidPath,
    markdownPath,
    dot,
    mermaid,
    explanation,
    explanationText,
    model,
  };
}

runIfMain(import.meta.url, 'autodiff-walkthrough', 'usage: tsx examples/autodiff-walkthrough/main.ts [--out DIR]', (argv) => {
  const i = argv.indexOf('--out');
  run({ verbose: true, ...(i >= 0 && argv[i + 1] ? { outDir: argv[i + 1]! } : {}) });
});
