/**
 * What a deployment or workspace runs, as the serving runtimes realize it: the command
 * (a workspace's IDE unless `command` overrides it), its replicas, health check, routes,
 * home volume and idle shutoff. Pure: the same resource and revision give the same plan.
 */
import type { LiveResource, LiveService } from '../resource/resource-decider.ts';
import type { TaskSpec } from './task-spec.ts';
import { MAIN_CONTAINER_PORT, routeViewers, serviceRoutes, type RouteViewer, type ServiceRoute } from './service-routes.ts';
import { planAttachments, type AttachmentCatalogFacts } from './task-attachments.ts';
import { DASK_ADDRESS_VARIABLE } from './dask-plan.ts';
import { daskClusterOf } from '../resource/dask-cluster.ts';

/** What the serving runtimes (shared/ports/service-runtime.ts) realize for one revision of a deployment or workspace. */
export interface ServicePlan {
  resourceId: string;
  type: 'deployment' | 'workspace';
  owner: string;
  name: string;
  /**
   * Increases with each start, restart and spec change: a plan with a higher revision than the
   * one running is rolled out; the same revision again changes nothing (plans are idempotent).
   */
  revision: number;
  /** Healthy replicas wanted: `scale` for deployments, 1 for workspaces. */
  replicas: number;
  /**
   * What each replica runs: `taskId` and `group` are left empty here; the runtime names each
   * replica `<resource id>-r<revision>-<n>` and groups them by resource id.
   */
  task: Omit<TaskSpec, 'taskId' | 'group'>;
  image: string;
  instanceType: string;
  spot: boolean;
  /** Path probed over HTTP on the main port ($PORT, container port 8000); 2xx–3xx is healthy. */
  healthCheckPath: string;
  /** How long a new replica has to pass its first health check before it counts as failed. */
  healthGraceSeconds: number;
  routes: ServiceRoute[];
  viewers: RouteViewer[];
  /** A workspace's persistent home, mounted at /home/jovyan; kept across stops, removed with the resource. */
  homeVolume: string | null;
  /** Shell access into replicas (ECS Exec on AWS). */
  shellAccess: boolean;
  /** Stop the service after this long with no proxied request or open connection (workspaces). */
  idleShutoffSeconds: number | null;
}

/** Where the IDEs listen: the loopback interface, never a network one. */
export const IDE_BIND_ADDRESS = '127.0.0.1';

/**
 * The variable an IDE reads its per-replica credential from, where one is needed. On AWS the
 * loopback interface is the task's own, and the edge sidecar is all that shares it: no
 * credential, the variable is unset. Locally the host's loopback is shared by every process on
 * the machine, so the local runtime gives each replica a fresh token here and the proxy sends
 * it (`Authorization: token …`); it is never in an event, a log, task.json or a response.
 */
export const IDE_TOKEN_VARIABLE = 'CASSINI_IDE_TOKEN';

/**
 * The IDE servers, listening on $PORT of the loopback interface with no authentication of
 * their own but the token above: the platform's edge is the authentication, and only what it
 * admits reaches them. On AWS the edge is the task's sidecar (infra/aws/edge), which shares the
 * task's network namespace and alone is reachable from the load balancer; locally it is the
 * embedded proxy. Bound to a network interface instead, an IDE with no authentication would be
 * a shell for anyone who can reach the task's address. `allow_remote_access` only lets Jupyter
 * answer requests whose Host is the route's name rather than localhost (the proxy keeps the
 * visitor's Host). RStudio Server has no token of its own: locally it is open to the host's
 * other processes (README, "Not built yet").
 */
export const IDE_COMMANDS = {
  jupyter:
    `exec jupyter lab --ip=${IDE_BIND_ADDRESS} --port="$PORT" --no-browser --ServerApp.root_dir="$HOME" ` +
    `--ServerApp.token="\${${IDE_TOKEN_VARIABLE}:-}" --ServerApp.password='' --ServerApp.allow_remote_access=True`,
  rstudio: `exec /usr/lib/rstudio-server/bin/rserver --server-daemonize=0 --www-address=${IDE_BIND_ADDRESS} --www-port="$PORT" --auth-none=1 --server-user="$(id -un)"`,
} as const;

/** Whether a command reads the per-replica IDE token (its runtime must then give one and send it). */
export function takesIdeToken(command: string): boolean {
  return command.includes(`\${${IDE_TOKEN_VARIABLE}`);
}

/** Paths that answer 200 once the IDE serves: Jupyter's API root, RStudio's sign-in-free page. */
const IDE_HEALTH_PATHS = { jupyter: '/api', rstudio: '/' } as const;

/**
 * How long a new replica may take to pass its first health check. Workspaces install extra
 * packages and start an IDE before they answer, so they get longer than deployments.
 */
export const HEALTH_GRACE_SECONDS = { deployment: 180, workspace: 600 } as const;

const AUTO_SHUTOFF_SECONDS: Record<string, number | null> = {
  '1 hour': 3600,
  '6 hours': 6 * 3600,
  '24 hours': 24 * 3600,
  '3 days': 3 * 86400,
  '7 days': 7 * 86400,
  Never: null,
};

export interface ServicePlanContext {
  /** Variables every task gets from the platform (SATURN_BASE_URL, ...). */
  platformEnvironment: Record<string, string>;
  /** What the catalog says about the spec's attachments (folder modes, the role's ARN). */
  catalog?: AttachmentCatalogFacts;
  /**
   * Where a resource's Dask scheduler is reached, when that is known before it runs (on AWS:
   * its Cloud Map name, so it can be part of the task definition). Absent locally, where the
   * address is known only at launch (shared/app/dask-task-environment.ts).
   */
  daskSchedulerAddress?: (resourceId: string) => string;
}

/** The home volume of a workspace: one per incarnation, so a re-created workspace starts empty. */
export function homeVolumeOf(resourceId: string): string {
  return `home-${resourceId}`;
}

/** What differs between a workspace (its IDE, unless `command` overrides it) and a deployment (its command and scale). */
function servedCommand(resource: LiveService): { command: string; healthCheckPath: string; replicas: number; idleShutoffSeconds: number | null } {
  if (resource.type === 'deployment') {
    // The fallbacks read specs recorded before `healthcheck` and `scale` had defaults.
    return { command: resource.spec.command, healthCheckPath: resource.spec.healthcheck ?? '/', replicas: resource.spec.scale ?? 1, idleShutoffSeconds: null };
  }
  const ide = resource.spec.ide ?? 'jupyter';
  return {
    command: resource.spec.command ?? IDE_COMMANDS[ide],
    healthCheckPath: resource.spec.command === undefined ? IDE_HEALTH_PATHS[ide] : '/',
    replicas: 1,
    idleShutoffSeconds: AUTO_SHUTOFF_SECONDS[resource.spec.auto_shutoff ?? '1 hour'] ?? null,
  };
}

export function planService(resource: LiveResource, context: ServicePlanContext): ServicePlan {
  if (resource.type === 'job') throw new Error(`planService: ${resource.type} ${resource.id} is not served`);
  const { spec } = resource;
  const workspace = resource.type === 'workspace';
  const { command, healthCheckPath, replicas, idleShutoffSeconds } = servedCommand(resource);
  const routes = serviceRoutes(resource);
  const extraPorts = [...new Set(routes.map((r) => r.containerPort).filter((p) => p !== MAIN_CONTAINER_PORT))];
  return {
    resourceId: resource.id,
    type: resource.type,
    owner: resource.owner,
    name: resource.name,
    revision: resource.service.revision,
    replicas,
    task: {
      command,
      ...(spec.start_script ? { startScript: spec.start_script } : {}),
      ...(spec.working_directory ? { workingDirectory: spec.working_directory } : {}),
      environment: {
        ...(spec.environment_variables ?? {}),
        ...context.platformEnvironment,
        ...(daskClusterOf(spec) && context.daskSchedulerAddress ? { [DASK_ADDRESS_VARIABLE]: context.daskSchedulerAddress(resource.id) } : {}),
      },
      ...(extraPorts.length > 0 ? { extraPorts } : {}),
      ...(workspace ? { homeVolume: homeVolumeOf(resource.id) } : {}),
      labels: { owner: resource.owner, resource: resource.id, [resource.type]: resource.name, revision: String(resource.service.revision) },
      attachments: planAttachments(spec, resource.owner, context.catalog),
      ...(daskClusterOf(spec) ? { daskCluster: resource.id } : {}),
    },
    image: spec.image,
    instanceType: spec.instance_type,
    spot: spec.use_spot_instance === true,
    healthCheckPath,
    healthGraceSeconds: HEALTH_GRACE_SECONDS[resource.type],
    routes,
    viewers: routeViewers(spec),
    homeVolume: workspace ? homeVolumeOf(resource.id) : null,
    shellAccess: resource.type === 'workspace' && resource.spec.start_ssh === true,
    idleShutoffSeconds,
  };
}
