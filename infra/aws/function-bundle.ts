/**
 * How every Lambda function is bundled, by the locally installed esbuild (no Docker): the CDK
 * asset (platform-function.ts), the bundle tests and `npm run bench` all build through
 * `bundleFunction`, so what is measured and tested is what is deployed.
 *
 * - ESM for Node.js 22, minified, with source maps (without the sources a second time).
 * - The AWS SDK is bundled too, not taken from the runtime: its ESM build, tree-shaken to the
 *   clients and commands a function imports, loads in well under half the time of the
 *   runtime's copy (hundreds of files resolved and compiled one by one). It also runs the
 *   lockfile's SDK version rather than whichever the runtime ships.
 * - Code splitting: `index.mjs` holds what every invocation needs, and each dynamic `import()`
 *   becomes a chunk loaded when first called (shared/adapters/lazy-adapter.ts). A cold start
 *   parses and runs only the SDK clients of the work in front of it; the reactor's job path
 *   never compiles the load balancer, Cognito, EFS or Cloud Map clients.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, type BuildOptions, type Metafile } from 'esbuild';
import { EDGE_SIDECAR_FILE } from '../../shared/adapters/aws/services/edge-sidecar.ts';
import { SSH_AGENT_FILE } from '../../shared/adapters/aws/services/ssh-agent-task-parts.ts';

/** The repository root: entries are given relative to it. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The file Lambda loads (handler `index.handler`); chunks sit beside it under `chunks/`. */
export const BUNDLE_ENTRY_FILE = 'index.mjs';

/**
 * Modules the bundles replace: the SDK's default credential chain by the environment alone,
 * which is where Lambda puts a function's credentials (functions/lambda-credentials.ts).
 */
export const BUNDLE_ALIASES: Record<string, string> = {
  '@aws-sdk/credential-provider-node': join(REPO_ROOT, 'functions/lambda-credentials.ts'),
};

/**
 * CommonJS dependencies inside an ESM bundle still call `require` for Node built-ins, so every
 * output file (entry and chunks) starts by making one.
 */
export const REQUIRE_SHIM = "import { createRequire as cassiniCreateRequire } from 'node:module'; const require = cassiniCreateRequire(import.meta.url);";

/**
 * Bundles the edge sidecar (infra/aws/edge/main.ts) into one CommonJS file in `outdir`: the
 * task definition carries it to `node -e`, which runs CommonJS, and everything must be in one
 * file. Minified, without source maps (it must stay small), for the Node.js 22 of its image.
 */
export function bundleEdgeSidecar(outdir: string): string {
  return bundleNodeProgram('infra/aws/edge/main.ts', join(outdir, EDGE_SIDECAR_FILE));
}

/** One CommonJS file for Node.js 22, minified, without source maps: a program a task runs beside its image's own (the edge sidecar, the SSH agent, the SSH gateway). */
export function bundleNodeProgram(entry: string, outfile: string, external: string[] = []): string {
  buildSync({
    entryPoints: [join(REPO_ROOT, entry)],
    absWorkingDir: REPO_ROOT,
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    minify: true,
    legalComments: 'none',
    // Prefer ESM builds of dependencies: they tree-shake (the SSH gateway's AWS SDK clients above all).
    mainFields: ['module', 'main'],
    external,
    logLevel: 'warning',
  });
  return outfile;
}

/**
 * Bundles the SSH agent (infra/aws/ssh-agent/main.ts) into one CommonJS file in `outdir`, for the
 * Node.js 22 binary the workspace task's init container copies beside it. ssh2's optional native
 * addons (its crypto binding, cpu-features) stay out: ssh2 loads them in a try and falls back
 * to its JavaScript and Node's crypto, and a binary built here would not match the image anyway.
 */
export function bundleSshAgent(outdir: string): string {
  return bundleNodeProgram('infra/aws/ssh-agent/main.ts', join(outdir, SSH_AGENT_FILE), SSH2_OPTIONAL_NATIVES);
}

/** ssh2's optional native addons, left out of every bundle with ssh2 (see bundleSshAgent). */
const SSH2_OPTIONAL_NATIVES = ['*.node', 'cpu-features'];

/** Bundles the SSH gateway's program (`entry`, infra/aws/ssh-gateway/) into `outfile`, ssh2's native addons left out as for the agent. */
export function bundleSshGateway(entry: string, outfile: string): string {
  return bundleNodeProgram(entry, outfile, SSH2_OPTIONAL_NATIVES);
}

/** The esbuild options of a function whose handler file is `entry` (absolute), written into `outdir`. */
export function bundleOptions(entry: string, outdir: string): BuildOptions & { metafile: true } {
  return {
    entryPoints: { index: entry },
    absWorkingDir: REPO_ROOT,
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    // Stack traces map to file and line (NODE_OPTIONS=--enable-source-maps) without shipping the sources twice.
    sourcemap: true,
    sourcesContent: false,
    // Prefer ESM builds of dependencies: they tree-shake.
    mainFields: ['module', 'main'],
    banner: { js: REQUIRE_SHIM },
    alias: BUNDLE_ALIASES,
    metafile: true,
    logLevel: 'warning',
  };
}

/** Bundles the function at `entry` (relative to the repository root) into `outdir`; returns esbuild's metafile. */
export function bundleFunction(entry: string, outdir: string): Metafile {
  return buildSync(bundleOptions(join(REPO_ROOT, entry), outdir)).metafile;
}

/** The bundle's files as esbuild wrote them: all JavaScript outputs, those the entry loads statically, and the lazily imported ones. */
export function bundleLayout(metafile: Metafile, outdir: string): { all: string[]; eager: string[]; lazy: string[] } {
  const outputs = Object.fromEntries(Object.entries(metafile.outputs).map(([file, output]) => [join(REPO_ROOT, file), output]));
  const all = Object.keys(outputs).filter((file) => file.endsWith('.mjs'));
  const eager = new Set<string>();
  const lazy = new Set<string>();
  const visit = (file: string): void => {
    if (eager.has(file)) return;
    eager.add(file);
    for (const imported of outputs[file]?.imports ?? []) {
      if (imported.external) continue;
      const target = join(REPO_ROOT, imported.path);
      if (imported.kind === 'dynamic-import') lazy.add(target);
      else visit(target);
    }
  };
  visit(join(outdir, BUNDLE_ENTRY_FILE));
  return { all, eager: [...eager], lazy: [...lazy].filter((file) => !eager.has(file)) };
}
