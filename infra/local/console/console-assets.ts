/**
 * The console's built files (console/dist, made by Vite), served at `/` beside the API. Only
 * names the build produced are served: `/` is its index.html, `/assets/<name>` its hashed
 * files, cached for good since a new build gives them new names; nothing else on disk can be
 * named by a request. The page may load and call only this origin (Content-Security-Policy),
 * and no other site may frame it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

export const CONSOLE_SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

/** Console paths: the page, its assets, and its sign-in. Everything else stays the API's. */
export function isConsolePath(path: string): boolean {
  return path === '/' || path === '/index.html' || path.startsWith('/assets/') || path === '/favicon.svg' || path.startsWith('/console/');
}

const ASSET_NAME = /^\/assets\/[A-Za-z0-9_.-]+$/;

function extension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot);
}

/** The file under the build's folder a path names, or undefined when it names none the build can have made. */
export function assetFile(path: string): { file: string; immutable: boolean } | undefined {
  if (path === '/' || path === '/index.html') return { file: 'index.html', immutable: false };
  if (path === '/favicon.svg') return { file: 'favicon.svg', immutable: false };
  if (ASSET_NAME.test(path) && !path.includes('..') && CONTENT_TYPES[extension(path)]) return { file: path.slice(1), immutable: true };
  return undefined;
}

function plain(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...CONSOLE_SECURITY_HEADERS, ...extra });
  res.end(text);
}

export const CONSOLE_BUILDING_MESSAGE = 'The console is being built (a few seconds after the first start); reload this page in a moment.';

/** Answers a GET or HEAD for a console file out of `distDir`; `building` while there is no build yet. */
export async function serveConsoleAsset(res: ServerResponse, path: string, distDir: string, options: { head: boolean; building: boolean }): Promise<void> {
  const asset = assetFile(path);
  if (!asset) return plain(res, 404, 'No such console page; the console lives at /.');
  // The page waits for the build under way: an old page would ask for assets the new build is
  // about to replace. Assets are still served, for pages loaded before.
  if (options.building && !asset.immutable) return plain(res, 503, CONSOLE_BUILDING_MESSAGE, { 'retry-after': '2' });
  let content: Buffer;
  try {
    content = await readFile(join(distDir, asset.file));
  } catch {
    if (options.building) return plain(res, 503, CONSOLE_BUILDING_MESSAGE, { 'retry-after': '2' });
    return plain(res, 404, 'No such console file; the console lives at /.');
  }
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extension(asset.file)] ?? 'application/octet-stream',
    'content-length': String(content.length),
    'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...CONSOLE_SECURITY_HEADERS,
  });
  res.end(options.head ? undefined : content);
}
