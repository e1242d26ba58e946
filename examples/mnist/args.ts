/** A bad command line: reported as one line and exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure that is not a usage error, such as a missing or corrupted file (exit code 1). */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

/** How one option is parsed. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** Hidden options are accepted but not listed in `--help`. */
  hidden?: boolean;
}

/** Parsed `--name value` / `--name=value` options and positional arguments. */
export interface ParsedArgs {
  values: Record<string, string | boolean>;
  positionals: string[];
}

/**
 * Parses a subcommand that takes a `--model FILE` (`predict`, `export`): returns its options, or null after printing
 * `help` for `--help`; a positional argument or a missing `--model` throws a {@link UsageError} saying `needsModel`.
 */
export function parseModelCommand(
  argv: readonly string[],
  specs: Readonly<Record<string, OptionSpec>>,
  help: string,
  out: (s: string) => void,
  needsModel: string,
): (Record<string, string | boolean> & { model: string }) | null {
  const { values: v, positionals } = parseArgs(argv, specs);
  if (v.help) {
    out(help);
    return null;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (typeof v.model !== 'string' || v.model === '') throw new UsageError(needsModel);
  return v as Record<string, string | boolean> & { model: string };
}

/** Parses `argv` against `specs`; unknown options, missing values and repeated options throw a {@link UsageError}. */
export function parseArgs(argv: readonly string[], specs: Readonly<Record<string, OptionSpec>>): ParsedArgs {
  const values: Record<string, string | boolean> = Object.create(null) as Record<string, string | boolean>;
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (arg === '-h') {
      values.help = true;
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unknown option '${arg}'`);
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const spec = Object.prototype.hasOwnProperty.call(specs, name) ? specs[name]! : undefined;
    if (!spec) throw new UsageError(`unknown option '--${name}'`);
    if (Object.prototype.hasOwnProperty.call(values, name)) throw new UsageError(`option '--${name}' given more than once`);
    if (spec.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`option '--${name}' takes no value`);
      values[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      // a following option (but not a negative number) means the value is missing
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UsageError(`option '--${name}' needs a value`);
      value = next;
      i++;
    }
    values[name] = value;
  }
  return { values, positionals };
}

/**
 * An integer option in [`min`, `max`] (default 1 and the largest safe integer), written in digits, or with an
 * exponent (`1e4`) when that is an integer.
 */
export function intOption(name: string, raw: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const v = /^[+]?\d+(?:[eE][+]?\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!(v >= min)) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${raw}'`);
  if (v > max) throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got '${raw}'`);
  return v;
}

/** A finite number option checked by `ok`, described by `what` in the message. */
export function numberOption(name: string, raw: string, ok: (v: number) => boolean, what: string): number {
  const v = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(v) || !ok(v)) throw new UsageError(`--${name} must be ${what}, got '${raw}'`);
  return v;
}

/** The largest layer size {@link intListOption} takes. */
export const MAX_LAYER_SIZE = 100_000;

/** A comma-separated list of positive integers (`128,64`) of at most {@link MAX_LAYER_SIZE}; `''` or `none` means no hidden layer. */
export function intListOption(name: string, raw: string): number[] {
  const s = raw.trim();
  if (s === '' || s === 'none') return [];
  return s.split(',').map((part) => {
    const v = /^\d+$/.test(part.trim()) ? Number(part) : NaN;
    if (!(v >= 1)) throw new UsageError(`--${name} must be comma-separated positive layer sizes like 128,64, got '${raw}'`);
    if (v > MAX_LAYER_SIZE) throw new UsageError(`--${name}: layer size ${v} is above the limit of ${MAX_LAYER_SIZE} units, got '${raw}'`);
    return v;
  });
}
