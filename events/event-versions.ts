/**
 * The event registry: every event the system records, with its current schema version and
 * the upcasters that read older versions. Stored events carry their version; reading goes
 * through `upcast`, so deciders and projections only ever see the current shape.
 *
 * The entries name the event types without building their zod schemas: the schemas
 * (events/event-schemas.ts) describe the data for types, tests and the API's documentation,
 * and building them all costs every Lambda ~30 ms of cold start that reading and writing
 * events never needs. The type below makes the list complete: a new event type that is not
 * listed here, or a listed one that does not exist, fails the type-check.
 */
import type { DomainEvent, RecordedEvent } from './envelope.ts';
import type { ResourceEvent, ResourceEventType } from './resource-events.ts';
import type { PrincipalEvent, TokenEvent } from './principal-events.ts';
import type { RunEvent } from './run-events.ts';
import type { SubdomainEvent } from './subdomain-events.ts';
import type { CatalogObjectEvent } from './catalog-object-events.ts';
import type { SshKeyClaimEvent, SshKeyEvent } from './ssh-key-events.ts';
import type { LimitEvent } from './limit-events.ts';

export type EventType = ResourceEventType | PrincipalEvent['type'] | TokenEvent['type'] | RunEvent['type'] | SubdomainEvent['type'] | CatalogObjectEvent['type'] | SshKeyEvent['type'] | SshKeyClaimEvent['type'] | LimitEvent['type'];

export interface EventVersioning {
  /** The version new events are written with. */
  version: number;
  /** `upcasters[n]` turns data of version n into version n + 1. */
  upcasters: Record<number, (data: unknown) => unknown>;
}

/** A change to an event's data adds a version and its upcaster. */
const FIRST_VERSION: EventVersioning = { version: 1, upcasters: {} };

const RESOURCE_ENTRIES: Record<ResourceEventType, EventVersioning> = {
  ResourceCreated: FIRST_VERSION,
  ResourceSpecUpdated: FIRST_VERSION,
  ResourceStartRequested: FIRST_VERSION,
  ResourceStopRequested: FIRST_VERSION,
  ResourceRestartRequested: FIRST_VERSION,
  ResourceDeleted: FIRST_VERSION,
  ResourceBecameRunning: FIRST_VERSION,
  ReplicaStarted: FIRST_VERSION,
  ReplicaReady: FIRST_VERSION,
  ReplicaExposed: FIRST_VERSION,
  ReplicaExited: FIRST_VERSION,
  ServiceRolledOut: FIRST_VERSION,
  ServiceRolledBack: FIRST_VERSION,
  ResourceBecameStopped: FIRST_VERSION,
  ResourceFailed: FIRST_VERSION,
  JobScheduleSet: FIRST_VERSION,
  JobScheduleSuspended: FIRST_VERSION,
  JobScheduleResumed: FIRST_VERSION,
  JobRunRequested: FIRST_VERSION,
  JobTickSkipped: FIRST_VERSION,
  JobRunFinished: FIRST_VERSION,
  DaskClusterScaled: FIRST_VERSION,
  SshSessionStarted: FIRST_VERSION,
  SshSessionEnded: FIRST_VERSION,
};

const PRINCIPAL_ENTRIES: Record<PrincipalEvent['type'], EventVersioning> = {
  UserCreated: FIRST_VERSION,
  UserUpdated: FIRST_VERSION,
  UserDeleted: FIRST_VERSION,
  GroupCreated: FIRST_VERSION,
};

const TOKEN_ENTRIES: Record<TokenEvent['type'], EventVersioning> = {
  TokenIssued: { version: 2, upcasters: { 1: (data) => ({ ...(data as object), scope: 'user', lineage: [] }) } },
  TokenRevoked: FIRST_VERSION,
  TokenUsed: FIRST_VERSION,
};

const RUN_ENTRIES: Record<RunEvent['type'], EventVersioning> = {
  RunQueued: FIRST_VERSION,
  RunSkipped: FIRST_VERSION,
  RunTasksLaunched: FIRST_VERSION,
  TaskStarted: FIRST_VERSION,
  TaskExited: FIRST_VERSION,
  RunStarted: FIRST_VERSION,
  RunSucceeded: FIRST_VERSION,
  RunFailed: FIRST_VERSION,
  RunCancelled: FIRST_VERSION,
  RunTimedOut: FIRST_VERSION,
};

const SUBDOMAIN_ENTRIES: Record<SubdomainEvent['type'], EventVersioning> = {
  SubdomainClaimed: FIRST_VERSION,
  SubdomainReleased: FIRST_VERSION,
};

const CATALOG_OBJECT_ENTRIES: Record<CatalogObjectEvent['type'], EventVersioning> = {
  SecretCreated: FIRST_VERSION,
  SecretChanged: FIRST_VERSION,
  SecretValueSet: FIRST_VERSION,
  SecretDeleted: FIRST_VERSION,
  SharedFolderCreated: FIRST_VERSION,
  SharedFolderChanged: FIRST_VERSION,
  SharedFolderDeleted: FIRST_VERSION,
  ImageCreated: FIRST_VERSION,
  ImageChanged: FIRST_VERSION,
  ImageDeleted: FIRST_VERSION,
  IamRoleCreated: FIRST_VERSION,
  IamRoleChanged: FIRST_VERSION,
  IamRoleDeleted: FIRST_VERSION,
};

const SSH_KEY_ENTRIES: Record<SshKeyEvent['type'], EventVersioning> = {
  SshKeyAdded: FIRST_VERSION,
  SshKeyRemoved: FIRST_VERSION,
};

const SSH_KEY_CLAIM_ENTRIES: Record<SshKeyClaimEvent['type'], EventVersioning> = {
  SshKeyClaimed: FIRST_VERSION,
  SshKeyReleased: FIRST_VERSION,
};

const LIMIT_ENTRIES: Record<LimitEvent['type'], EventVersioning> = {
  UsageLimitCreated: FIRST_VERSION,
  UsageLimitChanged: FIRST_VERSION,
  UsageLimitDeleted: FIRST_VERSION,
  UsageLimitAssigned: FIRST_VERSION,
};

const ENTRIES: Record<EventType, EventVersioning> = {
  ...RESOURCE_ENTRIES,
  ...PRINCIPAL_ENTRIES,
  ...TOKEN_ENTRIES,
  ...RUN_ENTRIES,
  ...SUBDOMAIN_ENTRIES,
  ...CATALOG_OBJECT_ENTRIES,
  ...SSH_KEY_ENTRIES,
  ...SSH_KEY_CLAIM_ENTRIES,
  ...LIMIT_ENTRIES,
};

export const EVENT_VERSIONS: Readonly<Record<string, EventVersioning>> = ENTRIES;

/**
 * The decoding of a stored event into an aggregate's event union: its type is one of that
 * aggregate's. The data needs no check of its own: only deciders write events, from typed
 * commands, and reading upcasts every stored version to the current shape (`upcast`).
 */
function eventOf<E extends DomainEvent>(entries: Record<E['type'], EventVersioning>) {
  return (e: RecordedEvent): e is RecordedEvent<E> => Object.hasOwn(entries, e.type);
}

export const isResourceEvent = eventOf<ResourceEvent>(RESOURCE_ENTRIES);
export const isPrincipalEvent = eventOf<PrincipalEvent>(PRINCIPAL_ENTRIES);
export const isTokenEvent = eventOf<TokenEvent>(TOKEN_ENTRIES);
export const isRunEvent = eventOf<RunEvent>(RUN_ENTRIES);
export const isSubdomainEvent = eventOf<SubdomainEvent>(SUBDOMAIN_ENTRIES);
export const isCatalogObjectEvent = eventOf<CatalogObjectEvent>(CATALOG_OBJECT_ENTRIES);
export const isSshKeyEvent = eventOf<SshKeyEvent>(SSH_KEY_ENTRIES);
export const isSshKeyClaimEvent = eventOf<SshKeyClaimEvent>(SSH_KEY_CLAIM_ENTRIES);
export const isLimitEvent = eventOf<LimitEvent>(LIMIT_ENTRIES);

export class UnknownEventError extends Error {}

export function versioningOf(type: string, registry = EVENT_VERSIONS): EventVersioning {
  const entry = registry[type];
  if (!entry) throw new UnknownEventError(`event type ${type} is not a known event type`);
  return entry;
}

/** Brings stored data of `version` up to the registry's current version. */
export function upcast(type: string, version: number, data: unknown, registry = EVENT_VERSIONS): unknown {
  const entry = versioningOf(type, registry);
  let value = data;
  for (let v = version; v < entry.version; v++) {
    const step = entry.upcasters[v];
    if (!step) throw new UnknownEventError(`no upcaster for ${type} from version ${v}`);
    value = step(value);
  }
  return value;
}
