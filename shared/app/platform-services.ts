/** The composition root both runtimes share: services over a store, read models and a clock. */
import type { ShellAccess } from './recipe-rendering.ts';
import type { EventStore } from '../ports/event-store.ts';
import type { RecipeViews } from '../ports/recipe-views.ts';
import type { RunViews } from '../ports/run-views.ts';
import { JobRunService } from './job-run-service.ts';
import type { Clock, RandomSource } from '../ports/platform-clock.ts';
import { IdentityService } from './identity-service.ts';
import type { StreamStateCache } from './stream-state-cache.ts';
import { ResourceService } from './resource-service.ts';
import type { CatalogViews } from '../ports/catalog-views.ts';
import type { TokenViews } from '../ports/token-views.ts';
import type { PrincipalViews } from '../ports/principal-views.ts';
import type { SecretWriter } from '../ports/secret-store.ts';
import { CatalogService } from './catalog-service.ts';
import { AttachmentCheck, type AttachmentChecker } from './attachment-check.ts';
import { SshKeyService } from './ssh-key-service.ts';
import type { UsageViews } from '../ports/usage-views.ts';
import { UsageService } from './usage-service.ts';
import { limitService, type LimitService } from './limit-service.ts';
import { organizationNamed, type Organization } from '../domain/identity/organization.ts';
import type { PriceTable } from '../domain/usage/instance-prices.ts';
import { userHoldings } from './user-holdings.ts';
import { GroupCommit } from './group-commit.ts';

export interface PlatformPorts {
  store: EventStore;
  views: RecipeViews;
  runViews: RunViews;
  clock: Clock;
  random: RandomSource;
  routeUrl(subdomain: string): string;
  /** `state.ssh` for resources with `start_ssh` (ECS Exec on AWS; none locally). */
  shellAccess?: ShellAccess;
  dindEnabled?: boolean;
  catalogViews: CatalogViews;
  /** Each user's tokens, for `GET /api/tokens`. */
  tokenViews: TokenViews;
  /** Every user and group, for `GET /api/users` and the organization's owners. */
  principalViews: PrincipalViews;
  /** Where secret values go: the data directory locally, Secrets Manager on AWS. */
  secretStore: SecretWriter;
  /** Tokens and users held in memory for authentication; `store` must be `identityCache.watching(...)` of the process's store. */
  identityCache?: StreamStateCache;
  /** Replaces the catalog check of recipe attachments; for tests that apply arbitrary recipes. */
  attachments?: AttachmentChecker;
  /** Instance-hours per stream (the usage projector's read model). */
  usageViews: UsageViews;
  /** The installation's organization; default `cassini`. */
  organization?: Organization;
  /** Prices per instance-hour by size, for cost in the usage answers. */
  prices?: PriceTable;
  /** How long a usage limit's hour lasts (ms); an hour unless a test platform shortens it. */
  limitHourMs?: number;
  /** The process's queue per stream (over `store`), when other services of the process write the same streams (the local runtime's finished runs and ticks). */
  commits?: GroupCommit;
}

export interface PlatformServices {
  identity: IdentityService;
  resources: ResourceService;
  runs: JobRunService;
  catalog: CatalogService;
  sshKeys: SshKeyService;
  usage: UsageService;
  limits: LimitService;
}

export function platformServices(ports: PlatformPorts): PlatformServices {
  // Resolved lazily: the services that know what a user owns are built after the identity service they depend on.
  const holdingsOf = (username: string): Promise<string[]> => userHoldings(username, { views: ports.views, catalog });
  const identity = new IdentityService({ ...ports, holdingsOf, ...(ports.identityCache ? { cache: ports.identityCache } : {}) });
  const principalExists = (name: string): Promise<boolean> => identity.principalExists(name);
  const limits = limitService(ports);
  const catalog = new CatalogService({ ...ports, secrets: ports.secretStore, principalExists });
  const attachments =
    ports.attachments ??
    new AttachmentCheck({ find: (kind, owner, name) => catalog.find(kind, owner, name), groupsOf: async (name) => (await identity.findUser(name))?.groups ?? [] });
  // One queue per stream for both: a job's dispatches and its starts, stops and applies are grouped together, not raced.
  const commits = ports.commits ?? new GroupCommit(ports.store);
  const resources = new ResourceService({ ...ports, principalExists, attachments, limits, commits });
  const runs = new JobRunService({ ...ports, limits, commits });
  const sshKeys = new SshKeyService({ ...ports, findUser: (username) => identity.findUser(username) });
  const usage = new UsageService({ usageViews: ports.usageViews, clock: ports.clock, organization: ports.organization ?? organizationNamed(), ...(ports.prices ? { prices: ports.prices } : {}) });
  return { identity, resources, runs, catalog, sshKeys, usage, limits };
}
