/**
 * What the local proxy serves: each subdomain's route (who may pass) and the ready replicas
 * behind it, kept by the local service supervisor; and how busy each service is, kept by the
 * proxy, which is how idle workspaces are found.
 */
import type { RouteViewer, RouteVisibility, ServiceRoute } from '../../../shared/ports/service-runtime.ts';

export interface ServiceRoutes {
  resourceId: string;
  owner: string;
  routes: ServiceRoute[];
  viewers: RouteViewer[];
}

/** A ready replica: its pod name and the host port each container port is served on. */
export interface ReadyReplica {
  pod: string;
  /** container port → host port; 8000 is the replica's $PORT. */
  ports: Record<number, number>;
  /** What the proxy sends the replica as `Authorization` (an IDE's per-replica token), replacing the caller's. */
  authorization?: string;
}

export interface ResolvedRoute {
  resourceId: string;
  owner: string;
  visibility: RouteVisibility;
  viewers: RouteViewer[];
  /** Pages of other origins may send state-changing requests and open WebSockets with a visitor's session. */
  allowCrossOrigin: boolean;
  /** The host port to forward this request to, round-robin over ready replicas; undefined when none is ready. */
  port: number | undefined;
  /** The chosen replica's own credential, sent as `Authorization`. */
  authorization?: string;
}

interface Entry extends ServiceRoutes {
  replicas: ReadyReplica[];
  next: number;
}

interface Activity {
  lastActivityMs: number;
  openConnections: number;
}

/** The next replica, round-robin, of those that serve `containerPort`: counted, not copied, as every proxied request asks. */
function nextServing(entry: Entry, containerPort: number): ReadyReplica | undefined {
  let serving = 0;
  for (const replica of entry.replicas) if (replica.ports[containerPort] !== undefined) serving++;
  if (serving === 0) return undefined;
  let wanted = entry.next++ % serving;
  for (const replica of entry.replicas) {
    if (replica.ports[containerPort] === undefined) continue;
    if (wanted-- === 0) return replica;
  }
  return undefined;
}

export class RouteTable {
  readonly #services = new Map<string, Entry>();
  readonly #bySubdomain = new Map<string, { resourceId: string; route: ServiceRoute }>();
  readonly #activity = new Map<string, Activity>();

  constructor(private readonly nowMs: () => number = Date.now) {}

  /** Publishes (or replaces) a service's routes; its ready replicas are kept. */
  publish(service: ServiceRoutes): void {
    const previous = this.#services.get(service.resourceId);
    this.#unindex(service.resourceId);
    this.#services.set(service.resourceId, { ...service, replicas: previous?.replicas ?? [], next: 0 });
    for (const route of service.routes) this.#bySubdomain.set(route.subdomain, { resourceId: service.resourceId, route });
    if (!this.#activity.has(service.resourceId)) this.#activity.set(service.resourceId, { lastActivityMs: this.nowMs(), openConnections: 0 });
  }

  /**
   * The replicas that passed their health check and take traffic now. The first ones of a start
   * also start the idle clock: the time a service spent starting (installing packages, say) is
   * not idleness, or a slow start could be shut off the moment it serves.
   */
  setReady(resourceId: string, replicas: ReadyReplica[]): void {
    const entry = this.#services.get(resourceId);
    if (!entry) return;
    const activity = this.#activity.get(resourceId);
    if (entry.replicas.length === 0 && replicas.length > 0 && activity) activity.lastActivityMs = Math.max(activity.lastActivityMs, this.nowMs());
    entry.replicas = [...replicas];
  }

  /** Takes a service off the proxy: its subdomains answer 404 from now on. */
  withdraw(resourceId: string): void {
    this.#unindex(resourceId);
    this.#services.delete(resourceId);
    this.#activity.delete(resourceId);
  }

  resolve(subdomain: string): ResolvedRoute | undefined {
    const found = this.#bySubdomain.get(subdomain);
    if (!found) return undefined;
    const entry = this.#services.get(found.resourceId)!;
    const replica = nextServing(entry, found.route.containerPort);
    const port = replica?.ports[found.route.containerPort];
    return {
      resourceId: entry.resourceId,
      owner: entry.owner,
      visibility: found.route.visibility,
      viewers: entry.viewers,
      allowCrossOrigin: found.route.allowCrossOrigin === true,
      port,
      ...(replica?.authorization === undefined ? {} : { authorization: replica.authorization }),
    };
  }

  /** The service's replicas that serve now (a workspace has one); empty for a service not published. */
  readyReplicas(resourceId: string): readonly ReadyReplica[] {
    return this.#services.get(resourceId)?.replicas ?? [];
  }

  /** A proxied request or WebSocket message for the service: it is not idle. */
  touch(resourceId: string): void {
    const activity = this.#activity.get(resourceId);
    if (activity) activity.lastActivityMs = this.nowMs();
  }

  /** A long-lived connection (a WebSocket, a streamed response) opened; call the result when it closes. */
  connectionOpened(resourceId: string): () => void {
    const activity = this.#activity.get(resourceId);
    if (!activity) return () => undefined;
    activity.openConnections++;
    activity.lastActivityMs = this.nowMs();
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      activity.openConnections--;
      activity.lastActivityMs = this.nowMs();
    };
  }

  /** Milliseconds since the service last had a request or an open connection; 0 while one is open. */
  idleMs(resourceId: string): number | undefined {
    const activity = this.#activity.get(resourceId);
    if (!activity) return undefined;
    return activity.openConnections > 0 ? 0 : this.nowMs() - activity.lastActivityMs;
  }

  #unindex(resourceId: string): void {
    for (const [subdomain, found] of this.#bySubdomain) if (found.resourceId === resourceId) this.#bySubdomain.delete(subdomain);
  }
}
