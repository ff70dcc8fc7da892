/** The shapes the API's middlewares and routes pass along, on top of API Gateway's v2 event. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type * as z from 'zod';
import type { User } from '../../shared/domain/identity/principal-decider.ts';
import type { Credential } from '../../shared/domain/identity/credential.ts';
import type { IdentityService } from '../../shared/app/identity-service.ts';
import type { ResourceService } from '../../shared/app/resource-service.ts';
import type { JobRunService } from '../../shared/app/job-run-service.ts';
import type { CatalogService } from '../../shared/app/catalog-service.ts';
import type { TaskDriver } from '../../shared/ports/task-driver.ts';
import type { DaskService } from '../../shared/app/dask-service.ts';
import type { Size } from '../../shared/domain/sizes.ts';
import type { SshKeyService } from '../../shared/app/ssh-key-service.ts';
import type { UsageService } from '../../shared/app/usage-service.ts';
import type { LimitService } from '../../shared/app/limit-service.ts';
import type { Organization } from '../../shared/domain/identity/organization.ts';

export interface ApiServices {
  identity: IdentityService;
  resources: ResourceService;
  runs: JobRunService;
  /** Secrets, shared folders, images and IAM roles (extension). */
  catalog: CatalogService;
  /** Users' SSH public keys (extension). */
  sshKeys: SshKeyService;
  /** Task logs, where the runtime keeps them readable (the local driver). */
  taskLogs?: Pick<TaskDriver, 'logs'>;
  /** Dask clusters of resources (`/api/{kind}/{id}/dask`); absent where no Dask runtime is wired. */
  dask?: DaskService;
  /** Usage per day (`/api/orgs/{org_id}/usage/daily`). */
  usage: UsageService;
  /** Usage limits (`/api/limits`), who has which, and what they refuse. */
  limits: LimitService;
  /** The installation's one organization (`/api/orgs`); default `cassini`. */
  organization?: Organization;
  /** The hardware sizes this platform offers (`offeredSizes`); default: every size. */
  sizes?: readonly Size[];
  version: string;
}

export interface ApiEvent extends APIGatewayProxyEventV2 {
  /** Set by the routing middleware. */
  route?: MatchedRoute;
  /** Set by the authentication middleware on routes that need a user. */
  user?: User;
  /** How the user authenticated (a token and its scope, or the directory); set with `user`. */
  credential?: Credential;
  /** Set by the body middleware: the parsed JSON or YAML body. */
  parsedBody?: unknown;
}

export type ApiResult = APIGatewayProxyStructuredResultV2;

export interface RouteContext {
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  body: unknown;
  user: User;
  /** How the caller authenticated: `GET /api/user` shows its scope, and a token issued with a token descends from it. */
  credential: Credential;
  services: ApiServices;
}

export interface RouteReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Reply in YAML instead of JSON (recipes, when the client asked for it). */
  yaml?: boolean;
  /** A body already rendered in another format (CSV), sent as is with its content type. */
  text?: { contentType: string; body: string };
}

export interface RouteDefinition {
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** OpenAPI-style template, e.g. `/api/recipes/{type}/{name}`. */
  path: string;
  summary: string;
  /** `public` routes need no token. */
  access: 'public' | 'user';
  /** Bodies may also be YAML (recipes). */
  acceptsYaml?: boolean;
  /**
   * Schemas are declared with `z.lazy` (route modules, recipe fields): each is built at its first
   * use instead of all at the API's cold start, which saves ~30 ms (`npm run bench -- --only lambdas`).
   */
  query?: z.ZodType;
  body?: z.ZodType;
  /** Documentation of the success response. */
  response?: { status: number; schema?: z.ZodType; description: string };
  handle(context: RouteContext): Promise<RouteReply>;
}

export interface MatchedRoute {
  definition: RouteDefinition;
  params: Record<string, string>;
}
