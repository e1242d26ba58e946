/** The programs the packaging check compiles and runs in the consumer projects, and their tsconfig. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A 10-line training program, then what a stranger relies on across the entries: a model saved and loaded by the
 * node entry is the main entry's Sequential (one class, not a copy per entry) and takes its layers; ONNX and TF.js
 * round trips; and without the `mnist` package, loadMnistPackage says how to install it. The last line is JSON.
 */
export const PROGRAM = `import { Dense, Sequential, fromTfjsArtifacts, toTfjsArtifacts } from '@tapegrad/nn';
import { load, loadMnistPackage, save } from '@tapegrad/nn/node';
import { exportOnnx, importOnnx } from '@tapegrad/nn/onnx';
import { Generator, Tensor, randn } from '@tapegrad/tensor';

const x = randn([256, 2], { generator: new Generator(0) });
const xv = x.values();
const y = new Tensor(Int32Array.from({ length: 256 }, (_, i) => (xv[2 * i]! * xv[2 * i + 1]! > 0 ? 1 : 0)), [256]);
const model = new Sequential({ seed: 0 });
model.add(new Dense(16, { activation: 'tanh', inputShape: [2] }));
model.add(new Dense(2, { activation: 'softmax' }));
model.compile({ optimizer: 'adam', lr: 0.05, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
model.fit(x, y, { epochs: 40, batchSize: 32, verbose: 0 });
const accuracy = model.evaluate(x, y).accuracy;

save(model, 'model.json');
const loaded = load('model.json');
loaded.add(new Dense(3));
const sameClass = loaded instanceof Sequential && loaded.layers[0] instanceof Dense && loaded.layers.length === 3;
const p = model.predict(x);
const onnxEqual = importOnnx(exportOnnx(model)).predict(x).equals(p);
const tfjsEqual = fromTfjsArtifacts(toTfjsArtifacts(model)).predict(x).equals(p);
let mnistMessage = '';
try {
  loadMnistPackage();
} catch (e) {
  mnistMessage = (e as Error).message;
}
console.log(JSON.stringify({ accuracy, sameClass, onnxEqual, tfjsEqual, mnistMessage }));
`;

/** The TypeScript example of each package's README, by package. */
export function README_PROGRAMS(repo: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of ['tensor', 'autograd', 'optim', 'nn']) {
    const text = readFileSync(join(repo, 'packages', p, 'README.md'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(text);
    if (!block) throw new Error(`packages/${p}/README.md has no ts example`);
    out[p] = block[1]!;
  }
  return out;
}

/**
 * A strict tsconfig for `module` (nodenext, node16 or commonjs) that checks the packages' .d.ts files too; Node's
 * types come from the repository's @types/node (`typeRoots`), so nothing is downloaded for them.
 */
export function tsconfig(module: string, outDir: string, typeRoots: string): object {
  return {
    compilerOptions: {
      module,
      ...(module === 'commonjs' ? {} : { moduleResolution: module }),
      target: 'es2022',
      lib: ['es2022'],
      types: ['node'],
      typeRoots: [typeRoots],
      strict: true,
      skipLibCheck: false,
      rootDir: 'src',
      outDir,
    },
    include: ['src'],
  };
}
