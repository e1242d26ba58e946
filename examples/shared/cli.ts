/** Command-line plumbing shared by the example scripts (Node only). */
import { pathToFileURL } from 'node:url';

/** The word after `name` in `argv`, or undefined when the flag is absent; throws when the flag has no value. */
export function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const value = argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} expects a value; see --help`);
  return value;
}

/** The number after `name` in `argv` (undefined when absent); throws when it is not a finite number. */
export function num(argv: readonly string[], name: string): number | undefined {
  const v = flag(argv, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${name} expects a number, got ${JSON.stringify(v)}`);
  return n;
}

/** The options the tutorials take from the command line. */
export interface TutorialArgs {
  trainSize?: number;
  testSize?: number;
  epochs?: number;
  outDir?: string;
}

/** Reads `--train`, `--test`, `--epochs` and `--out` from `argv`; flags that are absent are left out. */
export function tutorialArgs(argv: readonly string[]): TutorialArgs {
  const opts: TutorialArgs = {};
  const train = num(argv, '--train');
  const test = num(argv, '--test');
  const epochs = num(argv, '--epochs');
  const out = flag(argv, '--out');
  if (train !== undefined) opts.trainSize = train;
  if (test !== undefined) opts.testSize = test;
  if (epochs !== undefined) opts.epochs = epochs;
  if (out !== undefined) opts.outDir = out;
  return opts;
}

/**
 * When the module at `moduleUrl` is the script Node was started with, runs `main` on its arguments: `--help`/`-h`
 * prints `usage`, and an error is printed as `name: message` with exit code 1.
 */
export function runIfMain(moduleUrl: string, name: string, usage: string, main: (argv: string[]) => void): void {
  if (process.argv[1] === undefined || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    return;
  }
  try {
    main(argv);
  } catch (e) {
    console.error(`${name}: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
