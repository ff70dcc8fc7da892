/**
 * The console's only way to the platform: the same HTTP API as `sc` and curl. Locally the
 * browser's HttpOnly session cookie authenticates each call (the page never sees the token);
 * on AWS an access token kept in memory is sent as `Authorization` (see README, Console).
 */

/** One field the API refused, by its path (`spec.name`, `spec.git_repositories[0].url`). */
export interface FieldProblem {
  path: string;
  message: string;
}

/** An API error as the contract gives it: status, code, message and any field details. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldProblem[] = [],
  ) {
    super(message);
  }

  /** The messages for one field, for showing them at that field. */
  at(path: string): string | undefined {
    const found = this.details.filter((d) => d.path === path);
    return found.length ? found.map((d) => d.message).join('; ') : undefined;
  }
}

let bearer: string | undefined;

/** On AWS: the access token from the Cognito sign-in, kept only in this page's memory. */
export function setBearerToken(token: string | undefined): void {
  bearer = token;
}

let onUnauthenticated: () => void = () => {};

/** What to do when a call finds the session gone (expired or revoked token): show the sign-in. */
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

/** Where the API is: this origin locally; API Gateway's URL on AWS (console-config.ts). */
let apiBase = '';

export function setApiBase(url: string): void {
  apiBase = url.replace(/\/$/, '');
}

export interface CallOptions {
  body?: unknown;
  /** A recipe in YAML instead of a JSON body. */
  yaml?: string;
  /** Ask for YAML back (recipes). */
  acceptYaml?: boolean;
  headers?: Record<string, string>;
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { code?: string; message?: string; details?: FieldProblem[] };
    return new ApiError(response.status, body.code ?? 'error', body.message ?? response.statusText, body.details ?? []);
  } catch {
    return new ApiError(response.status, 'error', `The platform answered ${response.status} ${response.statusText}.`);
  }
}

export async function call<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { ...options.headers };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  let body: string | undefined;
  if (options.yaml !== undefined) {
    headers['content-type'] = 'application/yaml';
    body = options.yaml;
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  if (options.acceptYaml) headers.accept = 'application/yaml';
  let response: Response;
  try {
    response = await fetch(`${path.startsWith('/api/') ? apiBase : ''}${path}`, { method, headers, body, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'offline', 'The platform cannot be reached; check that it is running, then try again.');
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (error.status === 401) onUnauthenticated();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  if (options.acceptYaml) return (await response.text()) as T;
  return (await response.json()) as T;
}

/** Signs in locally: the platform checks the token and keeps it in an HttpOnly cookie. */
export function signIn(token: string): Promise<Me> {
  return call<Me>('POST', '/console/session', { body: { token } });
}

export function signOut(): Promise<void> {
  return call<void>('DELETE', '/console/session');
}

export interface Me {
  username: string;
  email: string | null;
  groups: string[];
  admin: boolean;
  token_scope?: string;
}

export type Kind = 'workspace' | 'deployment' | 'job';
export const KINDS: Kind[] = ['workspace', 'deployment', 'job'];
export const PLURAL: Record<Kind, string> = { workspace: 'workspaces', deployment: 'deployments', job: 'jobs' };

export type Status = 'pending' | 'running' | 'stopping' | 'stopped' | 'error';

export interface Recipe {
  schema_version: string;
  type: Kind;
  spec: Record<string, unknown> & { name: string; owner: string; instance_type?: string; image?: string; command?: string; description?: string; schedule?: string | null; schedule_timezone?: string; scale?: number };
  state: { id: string; status: Status; version: number; url?: string; reason?: string; created_at: string; updated_at: string; next_runs?: string[]; last_run?: unknown; error?: string };
}

export interface Run {
  id: string;
  status: string;
  trigger: string;
  attempt: number;
  created_at: string;
  started_at?: string;
  finished_at?: string;
  exit_code?: number;
  reason?: string;
}

export interface LogLine {
  timestamp: string;
  message: string;
  pod_name: string;
  stream: string;
}

export interface DomainEvent {
  version: number;
  type: string;
  at: string;
  actor?: string;
  data?: unknown;
}

export interface Size {
  name: string;
  display_name: string;
  cores: number;
  memory: string;
  gpu: number;
}

/**
 * Where the console's "Open" goes for an app's address. Locally: through the platform, which
 * signs the browser in to the app with the console's session. On AWS (a bearer token in
 * memory, Cognito at the load balancer) the address itself.
 */
export function openAppHref(url: string): string {
  return bearer ? url : `/console/open?url=${encodeURIComponent(url)}`;
}
