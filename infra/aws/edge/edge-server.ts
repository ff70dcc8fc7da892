/**
 * The sidecar's servers: one per route, listening where the route's target group sends, each
 * admitting by the route rule (edge-gate.ts) and forwarding to the app on 127.0.0.1 of the task
 * (backend-forwarding.ts, as the local proxy does); and one for the load balancer's health
 * checks, which passes the app's status on and nothing else (no body, no headers), since health
 * checks carry no sign-in.
 */
import { createServer, request as httpRequest, type ClientRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RouteAccessRule } from '../../../shared/domain/identity/route-access.ts';
import { forwardRequest, tunnelUpgrade } from '../../local/proxy/backend-forwarding.ts';
import { PROXY_FAILED, writeReply, writeReplyOnSocket, type ProxyReply } from '../../local/proxy/proxy-replies.ts';
import { originForm } from '../../local/proxy/proxy-credentials.ts';
import type { EdgeConfig, EdgeRoute } from '../../../shared/adapters/aws/services/edge-config.ts';
import { crossOriginRefusal } from './edge-cross-origin.ts';
import { admitAtEdge, type EdgeAdmission, type EdgeGateDeps } from './edge-gate.ts';
import { appRequestHeaders } from './edge-headers.ts';

/** Where the app listens: the task's loopback interface, which only containers of the task share. */
export const APP_HOST = '127.0.0.1';
const RESPONSE_TIMEOUT_MS = 300_000;
const CONNECT_TIMEOUT_MS = 10_000;
const HEALTH_TIMEOUT_MS = 4000;

export interface EdgeLogger {
  error(message: string, attributes: Record<string, unknown>): void;
}

function refusal(admission: Exclude<EdgeAdmission, { outcome: 'pass' }>): ProxyReply {
  return { status: admission.status, code: admission.code, message: admission.message, ...(admission.status === 503 ? { headers: { 'retry-after': '5' } } : {}) };
}

export function ruleOf(config: Pick<EdgeConfig, 'owner' | 'viewers'>, route: Pick<EdgeRoute, 'visibility'>): RouteAccessRule {
  return { owner: config.owner, viewers: config.viewers, visibility: route.visibility };
}

/** The server of one route; not yet listening. */
export function createRouteServer(config: Pick<EdgeConfig, 'owner' | 'viewers'>, route: Pick<EdgeRoute, 'visibility' | 'appPort' | 'allowCrossOrigin'>, deps: EdgeGateDeps, logger: EdgeLogger, appHost = APP_HOST): Server {
  const rule = ruleOf(config, route);
  const open = new Set<ClientRequest | Duplex>();
  const forwarding = { responseTimeoutMs: RESPONSE_TIMEOUT_MS, connectTimeoutMs: CONNECT_TIMEOUT_MS, open };
  const failed = (error: unknown) => logger.error('edge failed', { port: route.appPort, error: String(error) });

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const crossOrigin = crossOriginRefusal(req, route, false);
      if (crossOrigin !== undefined) return writeReply(res, { status: 403, code: 'forbidden', message: crossOrigin });
      const admission = await admitAtEdge(req.headers, rule, deps);
      if (admission.outcome !== 'pass') return writeReply(res, refusal(admission));
      const target = { host: appHost, port: route.appPort, path: originForm(req.url), headers: appRequestHeaders(req, admission.user, false) };
      forwardRequest(req, res, target, { ...forwarding, onBadHead: failed }, () => undefined);
    } catch (error) {
      failed(error);
      writeReply(res, PROXY_FAILED);
    }
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    try {
      const crossOrigin = crossOriginRefusal(req, route, true);
      if (crossOrigin !== undefined) return writeReplyOnSocket(socket, { status: 403, code: 'forbidden', message: crossOrigin });
      const admission = await admitAtEdge(req.headers, rule, deps);
      if (admission.outcome !== 'pass') return writeReplyOnSocket(socket, refusal(admission));
      if (socket.destroyed) return;
      const target = { host: appHost, port: route.appPort, path: originForm(req.url), headers: appRequestHeaders(req, admission.user, true) };
      tunnelUpgrade(req, socket as Socket, head, target, forwarding, () => undefined);
    } catch (error) {
      failed(error);
      writeReplyOnSocket(socket, PROXY_FAILED);
    }
  }

  const server = createServer((req, res) => void onRequest(req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void onUpgrade(req, socket, head));
  server.on('close', () => {
    for (const connection of open) connection.destroy();
  });
  return server;
}

/**
 * The health server: whatever is asked, a GET of the app's health check path, answered with the
 * app's status alone (502 when it does not answer), so it tells nobody more than "up or not".
 */
export function createHealthServer(health: Pick<EdgeConfig['health'], 'appPort' | 'path'>, appHost = APP_HOST): Server {
  return createServer((req, res) => {
    const answer = (status: number) => {
      if (!res.headersSent) res.writeHead(status, { 'content-length': '0', 'cache-control': 'no-store' }).end();
    };
    const probe = httpRequest({ host: appHost, port: health.appPort, method: 'GET', path: health.path, agent: false, timeout: HEALTH_TIMEOUT_MS });
    probe.once('timeout', () => probe.destroy(new Error('timed out')));
    probe.once('error', () => answer(502));
    probe.once('response', (reply) => {
      reply.resume();
      answer(reply.statusCode ?? 502);
    });
    probe.end();
    req.resume();
  });
}
