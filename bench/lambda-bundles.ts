/**
 * `npm run bench [-- --only lambdas]`: each Lambda function's bundle size and module
 * initialisation time, against the goals of at most 1 MB and at most 150 ms each.
 *
 * Every `functions/<name>/handler.ts` is bundled by `bundleFunction` (infra/aws/function-bundle.ts),
 * exactly as the CDK asset is, into a temporary directory inside the repository's node_modules
 * so that anything left external would resolve to the installed packages. The size is every
 * JavaScript file of the bundle, lazily loaded chunks included. Initialisation is the time of
 * `await import(index.mjs)` in a fresh `node` process, as the Lambda runtime loads a handler:
 * everything the module scope loads and builds (the SDK clients every invocation needs,
 * Powertools' logger and metrics). Beside it, "full load" imports every lazy chunk after the
 * entry: what an invocation that needs all of the function's adapters pays in total. Each is
 * the median of several runs, with the extremes for initialisation: other processes on the
 * machine make single runs noisy. Progress goes to stderr.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { BUNDLE_ENTRY_FILE, bundleFunction, bundleLayout, REPO_ROOT } from '../infra/aws/function-bundle.ts';
import type { LambdaNumbers } from './results.ts';

export const MAX_BUNDLE_BYTES = 1024 * 1024;
export const MAX_INIT_MS = 150;
/** Fresh processes per bundle and measure; the median is reported. */
const INIT_RUNS = 9;
const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'cassini-bench');

const run = promisify(execFile);

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

/** Milliseconds to import `files` in order in a fresh process, as the Lambda runtime would load the first. */
async function importInFreshProcess(files: string[]): Promise<number> {
  const script = [
    "const { performance } = await import('node:perf_hooks');",
    'const start = performance.now();',
    ...files.map((file) => `await import(${JSON.stringify(pathToFileURL(file).href)});`),
    'process.stdout.write(String(performance.now() - start));',
  ].join('\n');
  // NODE_OPTIONS on Lambda carries --enable-source-maps (platform-function.ts); mirror it.
  const { stdout } = await run(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1', NODE_OPTIONS: '' },
  });
  const ms = Number(stdout.trim());
  if (!Number.isFinite(ms)) throw new Error(`unexpected output from a load of ${files[0]}: ${stdout}`);
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function totalBytes(files: string[]): Promise<number> {
  let bytes = 0;
  for (const file of files) bytes += (await stat(file)).size;
  return bytes;
}

export async function measureLambdas(progress: (message: string) => void): Promise<Record<string, LambdaNumbers>> {
  await rm(CACHE_DIR, { recursive: true, force: true });
  const results: Record<string, LambdaNumbers> = {};
  try {
    for (const name of await functionNames()) {
      const outdir = join(CACHE_DIR, name);
      await mkdir(outdir, { recursive: true });
      const layout = bundleLayout(bundleFunction(relative(REPO_ROOT, join(REPO_ROOT, 'functions', name, 'handler.ts')), outdir), outdir);
      const entry = join(outdir, BUNDLE_ENTRY_FILE);
      const init: number[] = [];
      const full: number[] = [];
      for (let i = 0; i < INIT_RUNS; i++) {
        init.push(await importInFreshProcess([entry]));
        full.push(await importInFreshProcess([entry, ...layout.lazy]));
      }
      results[name] = {
        bundle_bytes: await totalBytes(layout.all),
        init_bytes: await totalBytes(layout.eager),
        init_ms: Number(median(init).toFixed(1)),
        init_min_ms: Number(Math.min(...init).toFixed(1)),
        init_max_ms: Number(Math.max(...init).toFixed(1)),
        full_load_ms: Number(median(full).toFixed(1)),
      };
      progress(`lambda ${name}: ${results[name].bundle_bytes} bytes in ${layout.all.length} files, init ${init.map((ms) => ms.toFixed(1)).join(', ')} ms`);
    }
  } finally {
    await rm(CACHE_DIR, { recursive: true, force: true });
  }
  return results;
}

export function lambdaRows(results: Record<string, LambdaNumbers>): string[][] {
  const rows = [['function', 'bundle KiB', `goal <= ${MAX_BUNDLE_BYTES / 1024}`, 'loaded at init KiB', `init ms (median of ${INIT_RUNS})`, 'min-max', `goal <= ${MAX_INIT_MS}`, 'init + all lazy chunks ms']];
  const verdict = (pass: boolean): string => (pass ? 'PASS' : 'FAIL');
  for (const [name, n] of Object.entries(results)) {
    rows.push([
      name,
      (n.bundle_bytes / 1024).toFixed(1),
      verdict(n.bundle_bytes <= MAX_BUNDLE_BYTES),
      (n.init_bytes / 1024).toFixed(1),
      n.init_ms.toFixed(1),
      `${n.init_min_ms.toFixed(0)}-${n.init_max_ms.toFixed(0)}`,
      verdict(n.init_ms <= MAX_INIT_MS),
      n.full_load_ms.toFixed(1),
    ]);
  }
  return rows;
}

export function lambdaGoals(results: Record<string, LambdaNumbers>): { pass: boolean; text: string }[] {
  return Object.entries(results).flatMap(([name, n]) => [
    { pass: n.bundle_bytes <= MAX_BUNDLE_BYTES, text: `${name}: bundle <= 1 MB (measured ${(n.bundle_bytes / 1024).toFixed(1)} KiB, all chunks)` },
    { pass: n.init_ms <= MAX_INIT_MS, text: `${name}: module initialisation <= ${MAX_INIT_MS} ms (measured median ${n.init_ms.toFixed(1)} ms)` },
  ]);
}
