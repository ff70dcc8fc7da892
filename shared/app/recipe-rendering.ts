/**
 * What a client sees of a resource: its recipe with the resolved spec and a read-only state.
 * Jobs carry their next fire times, computed from the schedule in its time zone.
 */
import { Cron } from 'croner';
import type { LiveResource } from '../domain/resource/resource-decider.ts';
import { CURRENT_SCHEMA_VERSION } from '../domain/recipe/recipe.ts';
import { subdomainOf } from '../domain/planner/service-routes.ts';

export interface RenderContext {
  now: Date;
  /** The address a subdomain is served at (local: http://<subdomain>.localhost:<port>/). */
  routeUrl(subdomain: string): string;
  /** How to open a shell in a resource with `start_ssh` here, or why there is none. */
  shellAccess?: ShellAccess;
}

/**
 * `state.ssh` of a workspace with `start_ssh`: the command that connects (`ssh -p 2222
 * lab.ann@localhost`), or, where SSH goes another way (ECS Exec), how to connect and why.
 */
export type ShellAccess = (resource: LiveResource) => string | Record<string, unknown>;

export interface RecipeResponse {
  schema_version: string;
  type: LiveResource['type'];
  spec: Record<string, unknown>;
  state: Record<string, unknown>;
}

const NEXT_RUNS = 5;
/** croner knows the common macros; these are the cron names it lacks. */
const MACRO_ALIASES: Record<string, string> = { '@midnight': '@daily' };

export function nextRuns(schedule: string, timeZone: string, after: Date, count = NEXT_RUNS): string[] {
  const expression = MACRO_ALIASES[schedule.trim()] ?? schedule;
  const cron = new Cron(expression, { timezone: timeZone, paused: true });
  return cron.nextRuns(count, after).map((d) => d.toISOString());
}

export function renderRecipe(resource: LiveResource, version: number, context: RenderContext): RecipeResponse {
  const state: Record<string, unknown> = {
    id: resource.id,
    status: resource.status,
    version,
    created_at: resource.createdAt,
    updated_at: resource.updatedAt,
  };
  if (resource.reason) state.reason = resource.reason;
  const subdomain = subdomainOf(resource);
  if (subdomain) state.url = context.routeUrl(subdomain);
  if (resource.type === 'workspace' && resource.spec.start_ssh === true && context.shellAccess) state.ssh = context.shellAccess(resource);
  if (resource.type === 'job') {
    const { schedule } = resource.spec;
    state.scheduled = Boolean(schedule) && !resource.scheduleSuspended;
    if (schedule && !resource.scheduleSuspended) {
      // Specs recorded before `schedule_timezone` had a default have none.
      state.next_runs = nextRuns(schedule, resource.spec.schedule_timezone ?? 'UTC', context.now);
    }
    const { last } = resource.runs;
    state.last_run = last ? { id: last.id, status: last.status, finished_at: last.at } : null;
    state.active_runs = resource.runs.active.map((r) => r.id);
  }
  return { schema_version: CURRENT_SCHEMA_VERSION, type: resource.type, spec: resource.spec, state };
}
