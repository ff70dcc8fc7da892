/**
 * The platform's front door in local mode, for everything that is not an app's subdomain: the
 * console's page and assets at `/`, its sign-in at `/console/session`, and the API, to which a
 * console session cookie is handed on as the `Authorization` header it stands for
 * (console-session.ts).
 *
 * `/console/open?url=<an app's address>` opens a deployment or workspace signed in: the
 * console page cannot read its own session token to put it in the proxy's `?token=` sign-in,
 * so the platform does, redirecting to the app's address on this very server (nowhere else)
 * with the token, which the proxy turns into its own cookie and removes from the address
 * before the app sees anything. Without a session the browser goes there without a token.
 *
 * Signing in asks the API itself who the token belongs to (`GET /api/user`), so a sign-in
 * passes the same checks as any API call (failed-login limits, token scope, expiry) and the
 * console has no way in of its own.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiGatewayEvent, writeResult, type ApiHandler } from '../http-adapter.ts';
import { clearedSessionCookie, originForm, presentedCredentials, sessionCookie, type Scheme } from '../proxy/proxy-credentials.ts';
import { otherOrigin } from '../proxy/cross-origin.ts';
import { admitSessionCookie, CROSS_ORIGIN_WRITE_MESSAGE, fromOwnOrigin } from './console-session.ts';
import { CONSOLE_SECURITY_HEADERS, isConsolePath, serveConsoleAsset } from './console-assets.ts';

export const SESSION_PATH = '/console/session';
export const OPEN_APP_PATH = '/console/open';
export const CONFIG_PATH = '/config.json';

/** A sign-in body is a token and nothing else: far below this. */
const SIGN_IN_BODY_LIMIT = 4096;

export interface ConsoleFrontOptions {
  /** Serves an API request (the HTTP adapter around the API handler). */
  api: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** The API handler itself, which a sign-in asks who a token belongs to. */
  handler: ApiHandler;
  /** Where the console's build is (console/dist). */
  distDir: string;
  /** Whether a build is under way, so that a missing file means "wait", not "no such file". */
  building(): boolean;
  /** Whether an address is an app's route on this very server (the proxy's host and port). */
  isAppAddress(url: URL): boolean;
  scheme?: Scheme;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  writeResult(res, { statusCode: status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function readSmallBody(req: IncomingMessage): Promise<string | undefined> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > SIGN_IN_BODY_LIMIT) return undefined;
  }
  return text;
}

function tokenOf(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    const token = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).token : undefined;
    return typeof token === 'string' && /^\S{1,1024}$/.test(token) ? token : undefined;
  } catch {
    return undefined;
  }
}

export function consoleFront(options: ConsoleFrontOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const scheme = options.scheme ?? 'http';

  async function signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readSmallBody(req);
    const token = text === undefined ? undefined : tokenOf(text);
    if (token === undefined) {
      return json(res, 400, { code: 'validation_error', message: 'Send {"token": "<your API token>"}: the admin token printed at first start, or one issued to you.', details: [{ path: 'token', message: 'Required: an API token without spaces.' }] });
    }
    const head = { method: 'GET', url: '/api/user', httpVersion: req.httpVersion, socket: req.socket, headers: { host: req.headers.host, authorization: `Bearer ${token}`, 'user-agent': req.headers['user-agent'] } };
    const answer = await options.handler(apiGatewayEvent(head, Buffer.alloc(0)), {});
    if (answer.statusCode !== 200) return writeResult(res, answer);
    json(res, 200, JSON.parse(answer.body ?? '{}'), { 'set-cookie': sessionCookie(token, scheme, 'Strict') });
  }

  async function session(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A page of another site must not sign a visitor in as someone else, nor out.
    if (!fromOwnOrigin(req, scheme)) return json(res, 403, { code: 'forbidden', message: CROSS_ORIGIN_WRITE_MESSAGE });
    if (req.method === 'POST') return signIn(req, res);
    if (req.method === 'DELETE') return json(res, 204, undefined, { 'set-cookie': clearedSessionCookie(scheme, 'Strict') });
    json(res, 404, { code: 'not_found', message: `${SESSION_PATH} takes POST (sign in) and DELETE (sign out).` });
  }

  function openApp(req: IncomingMessage, res: ServerResponse, target: string): void {
    let url: URL | undefined;
    try {
      url = new URL(new URLSearchParams(target.split('?')[1] ?? '').get('url') ?? '');
    } catch {
      url = undefined;
    }
    if (!url || url.protocol !== `${scheme}:` || !options.isAppAddress(url)) {
      return json(res, 400, { code: 'validation_error', message: 'url must be the address of a deployment or workspace on this platform (its state.url).', details: [{ path: 'query.url', message: 'not an app address here' }] });
    }
    // Only a navigation the console itself (or the address bar) started may take the session along.
    const token = otherOrigin(req, scheme) === undefined ? presentedCredentials(req, scheme).cookie : undefined;
    if (token !== undefined) url.searchParams.set('token', token);
    res.writeHead(303, { location: url.toString(), 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    res.end();
  }

  return async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = originForm(req.url);
    const path = target.split('?')[0]!;
    const method = (req.method ?? 'GET').toUpperCase();
    try {
      if (path === SESSION_PATH) return await session(req, res);
      if (path === OPEN_APP_PATH && method === 'GET') return openApp(req, res, target);
      // How the page signs in here (console/src/console-config.ts): with a token; on AWS the deployment writes Cognito's.
      if (path === CONFIG_PATH && method === 'GET') return json(res, 200, { signIn: 'token' });
      if (isConsolePath(path)) {
        if (method === 'GET' || method === 'HEAD') return await serveConsoleAsset(res, path, options.distDir, { head: method === 'HEAD', building: options.building() });
        return json(res, 404, { code: 'not_found', message: 'Console pages are read with GET; the API is under /api.' }, CONSOLE_SECURITY_HEADERS);
      }
      const admission = admitSessionCookie(req, scheme);
      if (admission.outcome === 'refuse') return json(res, admission.status, { code: admission.code, message: admission.message });
      if (admission.outcome === 'use') req.headers.authorization = admission.authorization;
      await options.api(req, res);
    } catch (error) {
      console.error(JSON.stringify({ level: 'error', message: 'console front failed', path, error: String(error) }));
      if (!res.headersSent) json(res, 500, { code: 'internal_error', message: 'Something went wrong on our side; try again shortly.' });
    }
  };
}
