/**
 * Property-based tests of the API handler in process (`startLocalPlatform`, events built as
 * API Gateway sends them): whatever a client sends, the answer is never a 5xx and a refused
 * request appends nothing to the event store; every valid recipe is accepted, reads back as
 * it was applied and re-applies unchanged from its YAML export. Known defects the properties
 * found are pinned down at the end as regression tests.
 */
import fc from 'fast-check';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../infra/local/local-platform.ts';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import type { ApiHandler } from '../../infra/local/http-adapter.ts';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoRecipeViews } from '../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { DynamoRunViews } from '../../shared/adapters/dynamodb/dynamodb-run-views.ts';
import { DynamoCatalogViews } from '../../shared/adapters/dynamodb/dynamodb-catalog-views.ts';
import { DynamoUsageViews } from '../../shared/adapters/dynamodb/dynamodb-usage-views.ts';
import { DynamoTokenViews } from '../../shared/adapters/dynamodb/dynamodb-token-views.ts';
import { DynamoPrincipalViews } from '../../shared/adapters/dynamodb/dynamodb-principal-views.ts';
import { LocalSecretStore } from '../../infra/local/local-secret-store.ts';
import { systemRandom } from '../../shared/adapters/node-platform.ts';
import { platformServices } from '../../shared/app/platform-services.ts';
import { PLATFORM_VERSION } from '../../shared/version.ts';
import { createApi } from '../../functions/api/create-api.ts';
import { callApi, type ApiReply, type ApiRequest } from './support/api-event.ts';
import { anyValue, cronExpression, dnsLabel, mutatedRecipe, validRecipe, type Recipe } from './support/recipe-arbitraries.ts';

const NUM_RUNS = 1000;
/**
 * Each property makes a few thousand dynalite requests of a few milliseconds each: 10–30 s
 * on an idle machine, with room for a busy one.
 */
const PROPERTY_TIMEOUT_MS = 120_000;
const ADMIN = 'property-admin-token';
/** The admin as a verified Cognito JWT presents it: no token lookups, so the runs stay fast. */
const ADMIN_CLAIMS = { username: 'admin', 'cognito:groups': ['admins'] };
/** Existing users and groups; user bodies take their groups only from these (see the known defects below). */
const GROUPS = ['g-alpha', 'g-beta'];
const USERNAMES = ['admin', 'member', 'new-one', 'new-two', 'g-alpha'];
const MEMBER_CLAIMS = { username: 'member', 'cognito:groups': GROUPS };

let platform: LocalPlatform;
let memberToken: string;
/** Existing resource ids, by kind, for the routes that take one. */
const ids: Record<'jobs' | 'workspaces' | 'deployments', string[]> = { jobs: [], workspaces: [], deployments: [] };
/** Event batches the store committed, counted where the store writes them. */
let appends = 0;
/**
 * Batches the runtime appended on its own (a started deployment's replicas, a run's tasks,
 * reported by `system:` actors while processes start and exit): they are not any request's
 * doing, and they keep coming in the background, so they are counted apart.
 */
let runtimeAppends = 0;

/** Counts the event batches a store client commits: every PutItem on the events table, the runtime's apart. */
function countAppends(db: EmbeddedDynamo, count: () => void): void {
  db.client.middlewareStack.add(
    (next, context) => async (args) => {
      const output = await next(args);
      const input = args.input as { TableName?: string; Item?: { e?: { S?: string } } };
      if (context.commandName === 'PutItemCommand' && input.TableName === db.tables.events) {
        const actors = input.Item?.e?.S ? (JSON.parse(input.Item.e.S) as Array<{ a: string }>).map((e) => e.a) : [];
        if (actors.length > 0 && actors.every((actor) => actor.startsWith('system:'))) runtimeAppends++;
        else count();
      }
      return output;
    },
    { step: 'initialize', name: 'countEventAppends' },
  );
}

beforeAll(async () => {
  platform = await startLocalPlatform({ port: 0 });
  countAppends(platform.db, () => appends++);
  await platform.services.identity.bootstrapAdmin(ADMIN);
  expect((await send({ method: 'POST', path: '/api/users', body: { username: 'member', groups: GROUPS } })).status).toBe(201);
  memberToken = ((await send({ method: 'POST', path: '/api/users/member/tokens', body: {} })).json as { token: string }).token;
  for (const [kind, recipe] of [
    ['jobs', { type: 'job', spec: { name: 'fixed-job', command: 'run', schedule: '@daily' } }],
    ['jobs', { type: 'job', spec: { name: 'member-job', command: 'run', owner: 'member' } }],
    ['workspaces', { type: 'workspace', spec: { name: 'fixed-ws' } }],
    ['deployments', { type: 'deployment', spec: { name: 'fixed-dep', command: 'serve' } }],
  ] as const) {
    const reply = await send({ method: 'PUT', path: '/api/recipes', body: recipe });
    ids[kind].push((reply.json as { state: { id: string } }).state.id);
  }
}, 60_000);

beforeEach(() => {
  // Each test counts the batches it makes the store append.
  appends = 0;
});

afterAll(async () => {
  await platform?.close();
});

/** Committed batches in the events table: what `appends` must agree with. */
async function storedBatches(): Promise<number> {
  let count = 0;
  let startKey: Record<string, never> | undefined;
  do {
    const page = await platform.db.client.send(new ScanCommand({ TableName: platform.db.tables.events, Select: 'COUNT', ExclusiveStartKey: startKey }));
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (startKey);
  return count;
}

interface Send {
  method: string;
  path: string;
  body?: unknown;
  /** Sent as is, rather than as JSON. */
  raw?: string;
  headers?: Record<string, string>;
  /** A platform token (the admin's by default), or null for none. */
  token?: string | null;
  /** Verified JWT claims instead of a token. */
  claims?: Record<string, unknown>;
}

async function send(request: Send): Promise<ApiReply> {
  const headers: Record<string, string> = { ...request.headers };
  const token = request.token === undefined && !request.claims ? ADMIN : request.token;
  if (token) headers.authorization ??= `Bearer ${token}`;
  let body = request.raw;
  if (body === undefined && request.body !== undefined) body = JSON.stringify(request.body);
  if (body !== undefined && !('content-type' in headers)) headers['content-type'] = 'application/json';
  const apiRequest: ApiRequest = { method: request.method, path: request.path, headers, body, claims: request.claims };
  return callApi(platform.handler, apiRequest);
}

function expectErrorBody(reply: ApiReply): void {
  const body = reply.json as { code?: unknown; message?: unknown };
  expect(typeof body?.code, reply.text).toBe('string');
  expect(typeof body.message).toBe('string');
  expect((body.message as string).trim()).not.toBe('');
}

// ---------------------------------------------------------------------------------------
// Arbitrary requests

const hexId = fc.stringMatching(/^[0-9a-f]{32}$/);
/** An id of an existing resource of that kind (read when the property runs), or one that names nothing. */
const resourceId = (kind: keyof typeof ids) => fc.oneof(fc.constant(null).chain(() => fc.constantFrom(...ids[kind])), hexId, fc.string().map(encodeURIComponent).filter((s) => s !== ''));

const userBody = fc.record(
  {
    username: fc.oneof(fc.constantFrom(...USERNAMES), dnsLabel),
    email: fc.oneof(fc.constant(null), fc.emailAddress()),
    groups: fc.subarray([...GROUPS, 'admin', 'member']),
    admin: fc.boolean(),
  },
  { requiredKeys: ['username'] },
);

/** A user body with up to two fields set to anything; `groups` keeps to existing names (see the known defects). */
const mutatedUserBody = fc
  .tuple(userBody, fc.array(fc.tuple(fc.constantFrom('username', 'email', 'admin', 'nickname'), anyValue), { maxLength: 2 }))
  .map(([body, mutations]) => ({ ...body, ...Object.fromEntries(mutations) }));

const patchBody = fc.oneof(
  fc.record({ cron_schedule_options: fc.record({ schedule: fc.oneof(cronExpression, fc.constant(null)), concurrency_policy: fc.constantFrom('Allow', 'Forbid', 'Replace') }, { requiredKeys: ['schedule'] }) }),
  fc.record({ cron_schedule_options: fc.record({ schedule: anyValue, concurrency_policy: anyValue }) }),
  fc.record({ cron_schedule_options: anyValue, extra: anyValue }, { requiredKeys: [] }),
);

const tokenBody = fc.oneof(
  fc.record({ expires_in_days: fc.oneof(fc.integer({ min: -5, max: 4000 }), fc.constant(null), anyValue) }, { requiredKeys: [] }),
  fc.dictionary(fc.string({ maxLength: 10 }), anyValue, { maxKeys: 2 }),
);

/** A route and the bodies that make sense for it, besides arbitrary ones. */
const target = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('PUT', 'POST').map((method) => ({ method, path: method === 'POST' ? '/api/recipes?enforce_unknown=true' : '/api/recipes', body: mutatedRecipe as fc.Arbitrary<unknown> })) },
  { weight: 2, arbitrary: fc.constant({ method: 'POST', path: '/api/users', body: mutatedUserBody as fc.Arbitrary<unknown> }) },
  { weight: 2, arbitrary: resourceId('jobs').map((id) => ({ method: 'PATCH', path: `/api/jobs/${id}`, body: patchBody as fc.Arbitrary<unknown> })) },
  { weight: 1, arbitrary: fc.constantFrom(...USERNAMES).map((u) => ({ method: 'POST', path: `/api/users/${u}/tokens`, body: tokenBody as fc.Arbitrary<unknown> })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('jobs', 'workspaces', 'deployments') as fc.Arbitrary<keyof typeof ids>, fc.constantFrom('start', 'stop', 'restart', 'schedule', 'unschedule'))
      .chain(([kind, action]) => resourceId(kind).map((id) => ({ method: 'POST', path: `/api/${kind}/${id}/${action}`, body: anyValue }))),
  },
  { weight: 1, arbitrary: hexId.map((id) => ({ method: 'DELETE', path: `/api/tokens/${id.slice(0, 24)}`, body: anyValue })) },
  {
    weight: 1,
    arbitrary: (fc.constantFrom('jobs', 'workspaces', 'deployments') as fc.Arbitrary<keyof typeof ids>).chain((kind) =>
      resourceId(kind).map((id) => ({ method: 'DELETE', path: `/api/${kind}/${id}`, body: anyValue })),
    ),
  },
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom('application/yaml', 'text/yaml', 'application/json; charset=utf-8', 'application/merge-patch+json') },
  { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'JSON') },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);

const encodedBody = (structured: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 5, arbitrary: structured.map((b) => JSON.stringify(b)) },
    { weight: 1, arbitrary: structured.map((b) => toYaml(b)) },
    { weight: 1, arbitrary: fc.anything().map((b) => JSON.stringify(b)) },
    { weight: 1, arbitrary: fc.json() },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    { weight: 1, arbitrary: structured.map((b) => JSON.stringify(b)?.slice(0, -1)) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );

/**
 * Who calls: mostly verified JWT claims (the Cognito path, which needs no store reads and so
 * keeps the runs fast), and platform tokens, missing and unknown ones too.
 */
type Caller = 'admin-claims' | 'member-claims' | 'admin-token' | 'member-token' | 'no-token' | 'unknown-token';

function credentials(caller: Caller): Pick<Send, 'token' | 'claims'> {
  switch (caller) {
    case 'admin-claims':
      return { claims: ADMIN_CLAIMS };
    case 'member-claims':
      return { claims: MEMBER_CLAIMS };
    case 'admin-token':
      return { token: ADMIN };
    case 'member-token':
      return { token: memberToken };
    case 'no-token':
      return { token: null };
    case 'unknown-token':
      return { token: 'cas_unknown' };
  }
}

const arbitraryRequest = target.chain((t) =>
  fc.record({
    method: fc.constant(t.method),
    path: fc.constant(t.path),
    raw: encodedBody(t.body),
    contentType,
    caller: fc.oneof(
      { weight: 3, arbitrary: fc.constant<Caller>('admin-claims') },
      { weight: 2, arbitrary: fc.constant<Caller>('member-claims') },
      { weight: 2, arbitrary: fc.constantFrom<Caller>('admin-token', 'member-token') },
      { weight: 1, arbitrary: fc.constantFrom<Caller>('no-token', 'unknown-token') },
    ),
    ifMatch: fc.option(fc.oneof(fc.integer({ min: 0, max: 4 }).map(String), fc.string({ maxLength: 8 })), { nil: undefined }),
  }),
);

describe('the API handler, whatever it is sent', () => {
  it('never answers 5xx, and a refused request appends no event', async () => {
    // Prepare
    const batchesBefore = await storedBatches();
    const runtimeBefore = runtimeAppends;

    // Act / Assess
    await fc.assert(
      fc.asyncProperty(arbitraryRequest, async (request) => {
        const before = appends;
        const headers: Record<string, string> = { 'content-type': request.contentType };
        if (request.ifMatch !== undefined) headers['if-match'] = request.ifMatch;
        const reply = await send({ method: request.method, path: request.path, raw: request.raw, headers, ...credentials(request.caller) });

        expect(reply.status, `${request.method} ${request.path}: ${reply.text}`).toBeLessThan(500);
        if (reply.status >= 400) {
          expectErrorBody(reply);
          expect(appends, `${reply.status} ${reply.text} appended an event`).toBe(before);
        }
      }),
      { numRuns: NUM_RUNS },
    );
    expect(await storedBatches()).toBe(batchesBefore + appends + (runtimeAppends - runtimeBefore));
  }, PROPERTY_TIMEOUT_MS);
});

describe('valid recipes', () => {
  /**
   * The same API over its own store, without the local event feed: reading a recipe back by
   * name reads its stream, not the listing, so the projector's three writes per apply would
   * only slow the thousand runs down.
   */
  let dynamo: EmbeddedDynamo;
  let handler: ApiHandler;

  beforeAll(async () => {
    dynamo = await startEmbeddedDynamo();
    countAppends(dynamo, () => appends++);
    const services = platformServices({
      store: new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events }),
      views: new DynamoRecipeViews(dynamo.client, dynamo.tables.views),
      runViews: new DynamoRunViews(dynamo.client, dynamo.tables.views),
      catalogViews: new DynamoCatalogViews(dynamo.client, dynamo.tables.views),
      tokenViews: new DynamoTokenViews(dynamo.client, dynamo.tables.views),
      principalViews: new DynamoPrincipalViews(dynamo.client, dynamo.tables.views),
      usageViews: new DynamoUsageViews(dynamo.client, dynamo.tables.views),
      secretStore: new LocalSecretStore(),
      // Catalog references are checked in test/functions/api-catalog.test.ts; arbitrary recipes name arbitrary secrets and roles.
      attachments: { check: async () => undefined },
      // One instant for the whole property: a job's next_runs, read at apply, export and re-apply,
      // would otherwise differ whenever those straddle a minute.
      clock: { now: () => new Date('2026-06-15T10:20:30.000Z') },
      random: systemRandom,
      routeUrl: (subdomain) => `http://${subdomain}.localhost:8080/`,
    });
    handler = createApi({ services: { ...services, version: PLATFORM_VERSION } }) as unknown as ApiHandler;
  });

  afterAll(async () => {
    await dynamo?.close();
  });

  const asAdmin = (request: ApiRequest) => callApi(handler, { ...request, claims: ADMIN_CLAIMS });

  it('are all accepted, read back as applied, and re-apply from their YAML export unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(validRecipe, async (recipe: Recipe) => {
        // Act
        const beforeApply = appends;
        const applied = await asAdmin({ method: 'PUT', path: '/api/recipes', headers: { 'content-type': 'application/json' }, body: JSON.stringify(recipe) });
        // Generated recipes share names and subdomains: one whose address another resource
        // serves is refused, with 409 naming it, and changes nothing.
        const refusal = applied.json as { code?: string; message?: string };
        if (applied.status === 409 && /subdomain "[a-z0-9-]+" is already served by/.test(refusal.message ?? '')) {
          expect(refusal.code).toBe('conflict');
          expect(appends).toBe(beforeApply);
          return;
        }
        const before = appends;
        const exported = await asAdmin({ method: 'GET', path: `/api/recipes/${recipe.type}/${recipe.spec.name}`, headers: { accept: 'application/yaml' } });
        const reapplied = await asAdmin({ method: 'PUT', path: '/api/recipes', headers: { 'content-type': 'application/yaml' }, body: exported.text });

        // Assess
        expect(applied.status, applied.text).toBe(201);
        const stored = applied.json as { spec: Record<string, unknown> };
        for (const [key, value] of Object.entries(recipe.spec)) {
          if (key === 'owner') expect(stored.spec.owner).toBe('admin');
          else expect(stored.spec[key], key).toEqual(value);
        }
        expect(exported.status).toBe(200);
        expect(exported.headers['content-type']).toBe('application/yaml');
        expect(parseYaml(exported.text)).toEqual(applied.json);
        expect(reapplied.status, reapplied.text).toBe(201);
        expect(reapplied.json).toEqual(applied.json);
        expect(appends).toBe(before);
      }),
      { numRuns: NUM_RUNS },
    );
  }, PROPERTY_TIMEOUT_MS);
});

describe('refused schedules and cursors', () => {
  it.each(['*/0 * * * *', '5-1 * * * *', '0/5 * * * *', '0 0 1-40 * *', '@every_minute'])('refuses the schedule %s with 400 and appends nothing', async (schedule) => {
    // Act
    const reply = await send({ method: 'PUT', path: '/api/recipes', body: { type: 'job', spec: { name: 'refused-schedule', command: 'run', schedule } } });

    // Assess
    expect(reply.status, reply.text).toBe(400);
    expect(reply.json).toMatchObject({ code: 'validation_error', details: [{ path: 'spec.schedule' }] });
    expect(appends).toBe(0);
  });

  it('answers 400 to a next_key issued for another listing', async () => {
    // Prepare: two recipes of admin's own, whatever the property runs deleted.
    for (const name of ['cursor-a', 'cursor-b']) {
      expect((await send({ method: 'PUT', path: '/api/recipes', body: { type: 'job', spec: { name, command: 'true' } } })).status).toBe(201);
    }
    const first = await send({ method: 'GET', path: '/api/recipes?owner_name=admin&page_size=1' });
    const nextKey = (first.json as { next_key: string | null }).next_key;
    expect(nextKey).toEqual(expect.any(String));

    // Act
    const reply = await send({ method: 'GET', path: `/api/recipes?owner_name=member&next_key=${encodeURIComponent(nextKey!)}` });

    // Assess
    expect(reply.status, reply.text).toBe(400);
    expect(reply.json).toMatchObject({ code: 'validation_error', details: [{ path: 'query.next_key' }] });
  });
});

describe('defects found by these properties, fixed', () => {
  // `createUser` once created the groups before the user, so a user refused with 409 left
  // the new groups behind.
  it('appends nothing when a user is refused because its name is taken', async () => {
    // Act
    const reply = await send({ method: 'POST', path: '/api/users', body: { username: 'member', groups: ['brand-new-group'] } });

    // Assess
    expect(reply.status).toBe(409);
    expect(appends).toBe(0);
  });

  // A deeply nested body well under 256 KiB once overflowed the stack of the recursive
  // walks over it: a 500. Bodies nesting deeper than any field of the API are now refused.
  it('answers 400 to a deeply nested body', async () => {
    // Prepare
    const depth = 50_000;
    const raw = `{"type":"job","spec":{"name":"deep","command":"run","tags":${'['.repeat(depth)}${']'.repeat(depth)}}}`;

    // Act
    const reply = await send({ method: 'PUT', path: '/api/recipes', raw });

    // Assess
    expect(reply.status).toBe(400);
  });
});
