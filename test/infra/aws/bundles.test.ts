/**
 * The Lambda bundles as `npm run synth` builds them (local esbuild, no Docker): each at most
 * 1 MB, ESM with the require shim, and loadable by Node with the handler exported.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { PlatformFunction, REPO_ROOT } from '../../../infra/aws/platform-function.ts';
import { buildCassini } from './support/synth.ts';

const MAX_BUNDLE_BYTES = 1_000_000;

const outdir = mkdtempSync(join(tmpdir(), 'cassini-bundles-'));
const app = buildCassini({}, { bundle: true, outdir });
const assembly = app.app.synth();
const functions = app.stack.node.findAll().filter((c): c is PlatformFunction => c instanceof PlatformFunction);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function bundleOf(fn: PlatformFunction): string {
  const asset = fn.fn.node.findChild('Code') as Asset;
  return join(assembly.directory, asset.assetPath, 'index.mjs');
}

describe('Lambda bundles', () => {
  it.each(functions.map((f) => [f.entry, f] as const))('%s: at most 1 MB of ESM with the require shim', (_entry, fn) => {
    const file = bundleOf(fn);
    const bytes = statSync(file).size;
    console.log(`${fn.entry}: ${bytes} bytes`);
    expect(bytes).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
    const code = readFileSync(file, 'utf8');
    expect(code.startsWith("import { createRequire as cassiniCreateRequire } from 'node:module'")).toBe(true);
    expect(code).toMatch(/sourceMappingURL=index\.mjs\.map/);
  });

  it.each(functions.filter((f) => readFileSync(bundleOf(f), 'utf8').includes('AWS_ACCESS_KEY_ID')).map((f) => [f.entry, f] as const))(
    '%s: takes its credentials from the environment only, without the rest of the default chain',
    (_entry, fn) => {
      const code = readFileSync(bundleOf(fn), 'utf8');
      for (const unused of ['AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'sso_start_url', 'credential_process', 'AssumeRoleWithWebIdentity']) expect(code).not.toContain(unused);
    },
  );

  it.each(functions.map((f) => [f.entry, f] as const))('%s: loads in Node and exports the handler', async (_entry, fn) => {
    // A directory beside the project's node_modules, so anything left external resolves as the runtime's copy would.
    const dir = mkdtempSync(join(tmpdir(), 'cassini-load-'));
    try {
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
      copyFileSync(bundleOf(fn), join(dir, 'index.mjs'));
      copyFileSync(`${bundleOf(fn)}.map`, join(dir, 'index.mjs.map'));
      const module = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as { handler?: unknown };
      expect(typeof module.handler).toBe('function');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
