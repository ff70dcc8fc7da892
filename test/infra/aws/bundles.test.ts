/**
 * The Lambda bundles as `npm run synth` builds them (local esbuild, no Docker): each at most
 * 1 MB in all, ESM with the require shim in every file, loadable by Node with the handler
 * exported and every lazily imported chunk loadable beside it; and the reactor's cold start
 * does not load the clients only deployments, workspaces, Dask or shared folders need.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { PlatformFunction } from '../../../infra/aws/platform-function.ts';
import { BUNDLE_ENTRY_FILE, bundleFunction, bundleLayout, REPO_ROOT, REQUIRE_SHIM } from '../../../infra/aws/function-bundle.ts';
import { EDGE_SIDECAR_FILE } from '../../../shared/adapters/aws/services/edge-sidecar.ts';
import { buildCassini } from './support/synth.ts';

const MAX_BUNDLE_BYTES = 1_000_000;

const outdir = mkdtempSync(join(tmpdir(), 'cassini-bundles-'));
const app = buildCassini({}, { bundle: true, outdir });
const assembly = app.app.synth();
const functions = app.stack.node.findAll().filter((c): c is PlatformFunction => c instanceof PlatformFunction);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function assetDirOf(fn: PlatformFunction): string {
  const asset = fn.fn.node.findChild('Code') as Asset;
  return join(assembly.directory, asset.assetPath);
}

/** Every JavaScript file of a bundle, relative to its directory: the entry and its chunks. */
function scriptsOf(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((file) => file.endsWith('.mjs')).sort();
}

describe('Lambda bundles', () => {
  it.each(functions.map((f) => [f.entry, f] as const))('%s: at most 1 MB of ESM in all, each file with the require shim and its source map', (_entry, fn) => {
    const dir = assetDirOf(fn);
    const scripts = scriptsOf(dir);
    expect(scripts).toContain(BUNDLE_ENTRY_FILE);
    const bytes = scripts.reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
    console.log(`${fn.entry}: ${bytes} bytes in ${scripts.length} files`);
    expect(bytes).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
    for (const file of scripts) {
      const code = readFileSync(join(dir, file), 'utf8');
      expect(code.startsWith(REQUIRE_SHIM), file).toBe(true);
      expect(code, file).toMatch(/sourceMappingURL=[\w-]+\.mjs\.map/);
    }
  });

  it("ships the edge sidecar beside the reactor's code, within the reactor's 1 MB", () => {
    const reactor = functions.find((f) => f.entry === 'functions/reactor/handler.ts')!;
    const dir = assetDirOf(reactor);
    const sidecar = statSync(join(dir, EDGE_SIDECAR_FILE)).size;
    const scripts = scriptsOf(dir).reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
    expect(sidecar).toBeGreaterThan(0);
    expect(scripts + sidecar).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
    // Only the reactor registers service task definitions.
    for (const other of functions.filter((f) => f !== reactor)) expect(readdirSync(assetDirOf(other))).not.toContain(EDGE_SIDECAR_FILE);
  });

  it.each(functions.filter((f) => scriptsOf(assetDirOf(f)).some((file) => readFileSync(join(assetDirOf(f), file), 'utf8').includes('AWS_ACCESS_KEY_ID'))).map((f) => [f.entry, f] as const))(
    '%s: takes its credentials from the environment only, without the rest of the default chain',
    (_entry, fn) => {
      const dir = assetDirOf(fn);
      for (const file of scriptsOf(dir)) {
        const code = readFileSync(join(dir, file), 'utf8');
        for (const unused of ['AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'sso_start_url', 'credential_process', 'AssumeRoleWithWebIdentity']) expect(code, file).not.toContain(unused);
      }
    },
  );

  it.each(functions.map((f) => [f.entry, f] as const))('%s: loads in Node, exports the handler, and every chunk loads beside it', async (_entry, fn) => {
    // A directory beside the project's node_modules, so anything left external resolves as the runtime's copy would.
    const dir = mkdtempSync(join(tmpdir(), 'cassini-load-'));
    try {
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
      cpSync(assetDirOf(fn), join(dir, 'function'), { recursive: true });
      const module = (await import(pathToFileURL(join(dir, 'function', BUNDLE_ENTRY_FILE)).href)) as { handler?: unknown };
      expect(typeof module.handler).toBe('function');
      const scripts = scriptsOf(join(dir, 'function'));
      for (const chunk of scripts.filter((file) => file !== BUNDLE_ENTRY_FILE)) {
        await expect(import(pathToFileURL(join(dir, 'function', chunk)).href), chunk).resolves.toBeDefined();
      }
      // Every lazy import names a file of the bundle (a chunk loaded only on first use would otherwise fail only then).
      for (const file of scripts) {
        for (const [, target] of readFileSync(join(dir, 'function', file), 'utf8').matchAll(/import\("(\.{1,2}\/[^"]+)"\)/g)) {
          expect(scripts, `${file} imports ${target}`).toContain(join(dirname(file), target!));
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps the reactor's service, Dask, scheduler and shared-folder clients out of its cold start, in chunks of their own", () => {
    const dir = mkdtempSync(join(tmpdir(), 'cassini-layout-'));
    try {
      const layout = bundleLayout(bundleFunction('functions/reactor/handler.ts', dir), dir);
      const text = (files: string[]) => files.map((file) => readFileSync(file, 'utf8')).join('\n');
      const eager = text(layout.eager);
      const lazy = text(layout.all.filter((file) => !layout.eager.includes(file)));
      // Each client's default service id, as its configuration names it.
      for (const client of ['Elastic Load Balancing v2', 'Cognito Identity Provider', 'EFS', 'ServiceDiscovery', 'Scheduler', 'ECS']) {
        expect(eager, client).not.toContain(`serviceId??"${client}"`);
        expect(lazy, client).toContain(`serviceId??"${client}"`);
      }
      expect(eager).toContain('serviceId??"DynamoDB"');
      // Scheduler, ECS run tasks, services, Dask, shared folders: one lazy import each from the entry.
      expect(readFileSync(join(dir, BUNDLE_ENTRY_FILE), 'utf8').match(/import\("\.\/chunks\/[^"]+"\)/g)?.length).toBeGreaterThanOrEqual(5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
