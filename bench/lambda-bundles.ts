/**
 * `npm run bench [-- --only lambdas]`: each Lambda function's bundle size and module
 * initialisation time, against the goals of at most 1 MB and at most 150 ms each.
 *
 * Every `functions/<name>/handler.ts` is bundled with esbuild's JS API using the options the CDK
 * uses (BUNDLING in infra/aws/platform-function.ts: the AWS SDK bundled too), into a temporary
 * directory inside the repository's node_modules so that whatever BUNDLING leaves external
 * would resolve to the installed packages, as the runtime's own copies would. Initialisation is
 * the time of `await import(bundle)` in a fresh `node` process (everything the module scope
 * loads and builds: the SDK, Powertools' logger and metrics), median of several runs, with
 * their minimum and maximum: other processes on the machine make single runs noisy. Progress
 * goes to stderr.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type BuildOptions } from 'esbuild';
import { BUNDLE_ALIASES, BUNDLING, REPO_ROOT } from '../infra/aws/platform-function.ts';
import type { LambdaNumbers } from './results.ts';

export const MAX_BUNDLE_BYTES = 1024 * 1024;
export const MAX_INIT_MS = 150;
/** Fresh processes per bundle; the median is reported. */
const INIT_RUNS = 9;
const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'cassini-bench');

const run = promisify(execFile);

/** The esbuild options the CDK derives from BUNDLING (bundled, platform node, ESM as index.mjs). */
export function esbuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: BUNDLING.format as BuildOptions['format'],
    target: BUNDLING.target,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    mainFields: BUNDLING.mainFields,
    banner: BUNDLING.banner === undefined ? undefined : { js: BUNDLING.banner },
    external: BUNDLING.externalModules,
    alias: BUNDLE_ALIASES,
    metafile: true,
    logLevel: 'warning',
  };
}

/** The function names: every folder of functions/ with a handler.ts. */
async function functionNames(): Promise<string[]> {
  const dir = join(REPO_ROOT, 'functions');
  const names: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const handler = join(dir, entry.name, 'handler.ts');
    if (await stat(handler).then((s) => s.isFile(), () => false)) names.push(entry.name);
  }
  return names.sort();
}

/** Milliseconds `await import(bundle)` takes in a fresh process, as the Lambda runtime would load it. */
async function initOnce(bundle: string): Promise<number> {
  const script = [
    "const { performance } = await import('node:perf_hooks');",
    'const start = performance.now();',
    `await import(${JSON.stringify(pathToFileURL(bundle).href)});`,
    'process.stdout.write(String(performance.now() - start));',
  ].join('\n');
  // NODE_OPTIONS on Lambda carries --enable-source-maps (platform-function.ts); mirror it.
  const { stdout } = await run(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1', NODE_OPTIONS: '' },
  });
  const ms = Number(stdout.trim());
  if (!Number.isFinite(ms)) throw new Error(`unexpected output from init run of ${bundle}: ${stdout}`);
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export async function measureLambdas(progress: (message: string) => void): Promise<Record<string, LambdaNumbers>> {
  await rm(CACHE_DIR, { recursive: true, force: true });
  const results: Record<string, LambdaNumbers> = {};
  try {
    for (const name of await functionNames()) {
      const outdir = join(CACHE_DIR, name);
      await mkdir(outdir, { recursive: true });
      const outfile = join(outdir, 'index.mjs');
      await build(esbuildOptions(join(REPO_ROOT, 'functions', name, 'handler.ts'), outfile));
      const bundleBytes = (await stat(outfile)).size;
      const runs: number[] = [];
      for (let i = 0; i < INIT_RUNS; i++) runs.push(await initOnce(outfile));
      results[name] = {
        bundle_bytes: bundleBytes,
        init_ms: Number(median(runs).toFixed(1)),
        init_min_ms: Number(Math.min(...runs).toFixed(1)),
        init_max_ms: Number(Math.max(...runs).toFixed(1)),
      };
      progress(`lambda ${name}: ${bundleBytes} bytes, init ${runs.map((ms) => ms.toFixed(1)).join(', ')} ms`);
    }
  } finally {
    await rm(CACHE_DIR, { recursive: true, force: true });
  }
  return results;
}

export function lambdaRows(results: Record<string, LambdaNumbers>): string[][] {
  const rows = [['function', 'bundle KiB', `goal <= ${MAX_BUNDLE_BYTES / 1024}`, `init ms (median of ${INIT_RUNS})`, 'min-max', `goal <= ${MAX_INIT_MS}`]];
  const verdict = (pass: boolean): string => (pass ? 'PASS' : 'FAIL');
  for (const [name, n] of Object.entries(results)) {
    rows.push([
      name,
      (n.bundle_bytes / 1024).toFixed(1),
      verdict(n.bundle_bytes <= MAX_BUNDLE_BYTES),
      n.init_ms.toFixed(1),
      `${n.init_min_ms.toFixed(0)}-${n.init_max_ms.toFixed(0)}`,
      verdict(n.init_ms <= MAX_INIT_MS),
    ]);
  }
  return rows;
}

export function lambdaGoals(results: Record<string, LambdaNumbers>): { pass: boolean; text: string }[] {
  return Object.entries(results).flatMap(([name, n]) => [
    { pass: n.bundle_bytes <= MAX_BUNDLE_BYTES, text: `${name}: bundle <= 1 MB (measured ${(n.bundle_bytes / 1024).toFixed(1)} KiB)` },
    { pass: n.init_ms <= MAX_INIT_MS, text: `${name}: module initialisation <= ${MAX_INIT_MS} ms (measured median ${n.init_ms.toFixed(1)} ms)` },
  ]);
}
