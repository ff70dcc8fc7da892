/**
 * The edge sidecar in every deployment's and workspace's task definition (the code is
 * infra/aws/edge): the only container the load balancer reaches. It verifies the load
 * balancer's signed sign-in, applies the route rule (`mayUseRoute`, as the local proxy does)
 * and forwards to the app, which listens on the task's 127.0.0.1 (awsvpc tasks share one
 * network namespace, so the sidecar can reach it and nothing outside the task can).
 *
 * Each routed container port N of the app gets an edge port the target group sends to; one
 * more edge port answers the load balancer's health checks. Edge ports are taken from 61000
 * up, the health port first (above Linux's ephemeral range, 32768–60999, so never an outgoing connection's), skipping
 * any port the app itself routes.
 *
 * Delivery without building an image: the sidecar is one CommonJS file, bundled at synth with
 * the reactor (function-bundle.ts, `bundleEdgeSidecar`), gzipped and base64-encoded into the
 * container's command, run by `node -e` in a pinned public Node.js image. A task definition
 * holds at most 64 KiB, so the bundle must stay small (a test holds it to EDGE_CODE_BUDGET).
 * The rule (owner, viewers, visibility per route) is the revision's: a changed `viewers` is a
 * new revision, rolled out like any spec change, with no change to the stack.
 */
import { gzipSync } from 'node:zlib';
import type { ContainerDefinition, LogConfiguration } from '@aws-sdk/client-ecs';
import type { ServicePlan } from '../../../ports/service-runtime.ts';
import { EDGE_CONFIG_VARIABLE, type EdgeConfig } from './edge-config.ts';

/** The file the sidecar's bundle is in, beside the reactor's code (infra/aws/function-bundle.ts). */
export const EDGE_SIDECAR_FILE = 'edge-sidecar.cjs';
/** The sidecar's container name; the service's load balancers name it. */
export const EDGE_CONTAINER = 'edge';
/** The first edge port: the health checks'. Routes get the next ones. */
export const EDGE_HEALTH_PORT = 61000;
/** A pinned public image with Node.js (the sidecar needs nothing else); `-c edgeImage=` replaces it. */
export const DEFAULT_EDGE_IMAGE = 'public.ecr.aws/docker/library/node:22.12.0-alpine3.21';
/** Compressed, base64 bytes the sidecar's code may take in a task definition (of 64 KiB in all). */
export const EDGE_CODE_BUDGET = 24 * 1024;
/** The unprivileged user of the Node.js image: edge ports are above 1024. */
const EDGE_USER = '1000';

/** Runs the code given as the first argument: base64 of gzip of a CommonJS bundle (`encodeEdgeCode`). */
export const INLINE_CODE_LOADER = "eval(require('zlib').gunzipSync(Buffer.from(process.argv[1],'base64')).toString())";

export interface EdgeSidecarSettings {
  image: string;
  /** The bundle, as `encodeEdgeCode` makes it. */
  code: string;
  region: string;
  loadBalancerArn: string;
  /** The platform API, asked for a visitor's groups. */
  apiUrl: string;
}

/** The sidecar bundle as the container's command carries it. */
export function encodeEdgeCode(bundle: string | Buffer): string {
  return gzipSync(bundle, { level: 9 }).toString('base64');
}

export type EdgePlan = Pick<ServicePlan, 'owner' | 'viewers' | 'routes' | 'healthCheckPath'>;

export interface EdgePorts {
  /** Where the load balancer's health checks arrive. */
  health: number;
  /** App container port → the edge port its target group sends to. */
  routes: Map<number, number>;
}

/** The plan's edge ports: from EDGE_HEALTH_PORT up, the health port first, skipping every port the app routes. */
export function edgePortsFor(plan: Pick<EdgePlan, 'routes'>): EdgePorts {
  const appPorts = [...new Set(plan.routes.map((r) => r.containerPort))];
  const taken = new Set(appPorts);
  let next = EDGE_HEALTH_PORT;
  const take = () => {
    while (taken.has(next)) next++;
    return next++;
  };
  const health = take();
  return { health, routes: new Map(appPorts.map((appPort) => [appPort, take()])) };
}

/** What the sidecar of this plan is told (edge-config.ts). `mainPort` is the app's $PORT, which the health check asks. */
export function edgeConfigFor(plan: EdgePlan, settings: Pick<EdgeSidecarSettings, 'region' | 'loadBalancerArn' | 'apiUrl'>, mainPort: number): EdgeConfig {
  const ports = edgePortsFor(plan);
  const routes = new Map<number, EdgeConfig['routes'][number]>();
  for (const route of plan.routes) {
    // One listener per port: the load balancer sends every subdomain of a port to one target group.
    if (!routes.has(route.containerPort)) routes.set(route.containerPort, {
        listenPort: ports.routes.get(route.containerPort)!,
        appPort: route.containerPort,
        visibility: route.visibility,
        ...(route.allowCrossOrigin === true ? { allowCrossOrigin: true } : {}),
      });
  }
  return {
    loadBalancerArn: settings.loadBalancerArn,
    region: settings.region,
    apiUrl: settings.apiUrl,
    owner: plan.owner,
    viewers: plan.viewers.map((v) => ({ name: v.name, ...(v.type ? { type: v.type } : {}) })),
    routes: [...routes.values()],
    health: { listenPort: ports.health, appPort: mainPort, path: plan.healthCheckPath },
  };
}

/** The sidecar's container: essential (the task stops without it), unprivileged, read-only, healthy once its ports are bound. */
export function edgeContainerDefinition(plan: EdgePlan, settings: EdgeSidecarSettings, mainPort: number, logConfiguration: LogConfiguration): ContainerDefinition {
  const config = edgeConfigFor(plan, settings, mainPort);
  const healthPort = config.health.listenPort;
  return {
    name: EDGE_CONTAINER,
    image: settings.image,
    essential: true,
    user: EDGE_USER,
    readonlyRootFilesystem: true,
    entryPoint: ['node', '-e', INLINE_CODE_LOADER],
    command: [settings.code],
    environment: [{ name: EDGE_CONFIG_VARIABLE, value: JSON.stringify(config) }],
    portMappings: [...config.routes.map((r) => r.listenPort), healthPort].map((containerPort) => ({ containerPort, protocol: 'tcp' as const })),
    // The health port is bound last (infra/aws/edge/main.ts): once it accepts, every route's port is the sidecar's.
    healthCheck: {
      command: ['CMD', 'node', '-e', `require('net').connect(${healthPort},'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))`],
      interval: 5,
      timeout: 2,
      retries: 3,
      startPeriod: 5,
    },
    logConfiguration,
  };
}
