/**
 * The addresses a deployment or workspace answers at. The main route serves the task's $PORT
 * (container port 8000) at the resource's subdomain; each entry of `routes` adds a container
 * port at a subdomain of its own. Visibility defaults to `owner`: nothing is public unless
 * its owner says so.
 */
import type { SpecOf, SpecRoute, TypedSpec } from '../recipe/spec-types.ts';

/** What routing reads of a resource: its type and spec, name and owner. */
export type RoutedResource = TypedSpec & { name: string; owner: string };

export type RouteVisibility = 'owner' | 'org' | 'unauthenticated';

export interface ServiceRoute {
  /** A DNS label, unique across the platform: `<subdomain>.<domain>` (locally `<subdomain>.localhost:<port>`). */
  subdomain: string;
  /** 8000 is the task's $PORT; any other port N is `PORT_N` locally and the container port on AWS. */
  containerPort: number;
  visibility: RouteVisibility;
  /** Pages of other origins may send state-changing requests and open WebSockets with a visitor's session (spec `allow_cross_origin`). */
  allowCrossOrigin?: boolean;
}

/** A user or group allowed through an `owner` route besides the owner, its group and admins. */
export interface RouteViewer {
  name: string;
  type?: 'user' | 'group';
}

/** The container port that is the task's $PORT. */
export const MAIN_CONTAINER_PORT = 8000;
const DNS_LABEL_MAX = 63;


function served(subdomain: string, containerPort: number, declared: SpecRoute | undefined): ServiceRoute {
  return {
    subdomain,
    containerPort,
    visibility: declared?.visibility ?? 'owner',
    ...(declared?.allow_cross_origin === true ? { allowCrossOrigin: true } : {}),
  };
}

function label(value: string): string {
  return value.slice(0, DNS_LABEL_MAX).replace(/-+$/, '');
}

/** `spec.subdomain`, or `<name>-<owner>`; jobs have none. */
export function subdomainOf(resource: RoutedResource): string | undefined {
  if (resource.type === 'job') return undefined;
  if (resource.type === 'deployment' && typeof resource.spec.subdomain === 'string') return resource.spec.subdomain;
  return label(`${resource.name}-${resource.owner}`);
}

/** Every route of the resource, the main one first, each subdomain once. */
export function serviceRoutes(resource: RoutedResource): ServiceRoute[] {
  const main = subdomainOf(resource);
  if (resource.type === 'job' || !main) return [];
  const declared = resource.spec.routes ?? [];
  const mainDeclared = declared.find((r) => r.container_port === MAIN_CONTAINER_PORT && (r.subdomain === undefined || r.subdomain === main));
  const routes: ServiceRoute[] = [served(main, MAIN_CONTAINER_PORT, mainDeclared)];
  for (const route of declared) {
    if (route === mainDeclared) continue;
    const subdomain = route.subdomain ?? label(`${main}-${route.container_port}`);
    if (routes.some((r) => r.subdomain === subdomain)) continue;
    routes.push(served(subdomain, route.container_port, route));
  }
  return routes;
}

/** `viewers` as written (a name, or {name, type}) in one shape. */
export function routeViewers(spec: Pick<SpecOf<'workspace' | 'deployment'>, 'viewers'>): RouteViewer[] {
  return (spec.viewers ?? []).map((v) => (typeof v === 'string' ? { name: v } : v));
}
