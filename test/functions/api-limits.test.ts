/**
 * Usage limits through the API handler over an embedded DynamoDB whose appends are projected at
 * once (recipe and usage views): Saturn's `/api/limits` shapes, `limits_id` for users and groups,
 * refusals on apply and start with 403 `limit_exceeded`, the hours windows stopping what runs
 * (`system:limits`), scheduled ticks recorded skipped, and what a member may not do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import type { ApiHandler } from '../../infra/local/http-adapter.ts';
import { createApi } from '../../functions/api/create-api.ts';
import { admin, ann, bob, createUsers } from '../app/support/catalog-platform.ts';
import { projectingStore } from '../app/support/projecting-store.ts';
import { allReadModels, dynamoServices } from '../app/support/dynamo-services.ts';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { callApi, type ApiReply } from './support/api-event.ts';
import type { EventStore } from '../../shared/ports/event-store.ts';
import type { PlatformServices } from '../../shared/app/platform-services.ts';
import { limitSettings } from '../domain/support/usage-limit-settings.ts';
import { LIMITS_ACTOR } from '../../shared/app/limit-service.ts';

const ADMIN_TOKEN = 'limits-admin-token';
let now = new Date('2026-12-06T10:00:00Z');

let dynamo: EmbeddedDynamo;
let handler: ApiHandler;
let services: PlatformServices;
let store: EventStore;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  const raw = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
  const projector = allReadModels(dynamo, raw);
  store = projectingStore(raw, projector);
  ({ services } = dynamoServices(dynamo, { store, clock: { now: () => now } }));
  await services.identity.bootstrapAdmin(ADMIN_TOKEN);
  await createUsers(services);
  tokens.admin = ADMIN_TOKEN;
  for (const user of [ann, bob]) tokens[user.username] = (await services.identity.issueToken(admin, { kind: 'directory' }, user.username)).token;
  handler = createApi({ services: { ...services, version: '0.0.0-test' } }) as unknown as ApiHandler;
});

afterAll(async () => {
  await dynamo?.close();
});

function send(method: string, path: string, as: string, body?: unknown): Promise<ApiReply> {
  const headers: Record<string, string> = { authorization: `Bearer ${tokens[as]}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return callApi(handler, { method, path, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

/** Saturn's client posts asdict(UsageLimitCreate): every field, unset ones null. */
function saturnLimit(fields: Record<string, unknown>) {
  return { org_id: 'cassini', ...limitSettings({ name: 'limit' }), object_storage_bytes: null, object_storage_count: null, ...fields };
}

async function createLimit(fields: Record<string, unknown>): Promise<{ id: string }> {
  const reply = await send('POST', '/api/limits', 'admin', saturnLimit(fields));
  expect(reply.status, reply.text).toBe(201);
  return reply.json as { id: string };
}

function deployment(name: string, spec: Record<string, unknown> = {}) {
  return { schema_version: '2025.10.01', type: 'deployment', spec: { name, command: 'serve', ...spec } };
}

function expectLimitExceeded(reply: ApiReply, ...words: string[]): void {
  expect(reply.status, reply.text).toBe(403);
  const body = reply.json as { code: string; message: string };
  expect(body.code).toBe('limit_exceeded');
  for (const word of words) expect(body.message).toContain(word);
}

describe('/api/limits (Saturn\'s shape)', () => {
  it('creates, lists, patches and deletes a limit with exactly the fields Saturn\'s UsageLimit dataclass takes', async () => {
    // Act
    const created = await send('POST', '/api/limits', 'admin', saturnLimit({ name: 'crud', hours_per_month: 100, instance_sizes: ['small'] }));
    // Assess
    expect(created.status).toBe(201);
    const limit = created.json as Record<string, unknown>;
    expect(Object.keys(limit).sort()).toEqual(
      ['id', 'created_at', 'org_id', 'name', 'is_default', 'instance_sizes', 'resource_types', 'num_instances', 'auto_shutoff', 'storage_in_gb', 'num_shared_folders', 'object_storage_bytes', 'object_storage_count', 'hours_per_day', 'hours_per_month', 'hours_forever'].sort(),
    );
    expect(limit).toMatchObject({ org_id: 'cassini', name: 'crud', is_default: false, instance_sizes: ['small'], hours_per_month: 100, hours_per_day: null });
    const listed = await send('GET', '/api/limits?org_id=cassini', 'admin');
    expect(listed.json).toEqual({ usage_limits: [limit], next_key: null });
    // Saturn's patch_usage_limit sends asdict(UsageLimitPatch): every setting, so null lifts one.
    const { org_id: _org, ...patch } = saturnLimit({ name: 'crud', hours_per_month: 50 });
    const patched = await send('PATCH', `/api/limits/${limit.id as string}`, 'admin', patch);
    expect(patched.json).toMatchObject({ id: limit.id, hours_per_month: 50, instance_sizes: null });
    expect((await send('DELETE', `/api/limits/${limit.id as string}`, 'admin')).status).toBe(204);
    expect((await send('GET', `/api/limits/${limit.id as string}`, 'admin')).status).toBe(404);
  });

  it('refuses what it cannot hold: object storage, a second default or name, another organization', async () => {
    const storage = await send('POST', '/api/limits', 'admin', saturnLimit({ name: 'bytes', object_storage_bytes: 1024 }));
    expect(storage.status).toBe(400);
    expect((storage.json as { details: Array<{ path: string }> }).details.map((d) => d.path)).toEqual(['object_storage_bytes']);
    const first = await createLimit({ name: 'default-a', is_default: true });
    const second = await send('POST', '/api/limits', 'admin', saturnLimit({ name: 'default-b', is_default: true }));
    expect(second.status).toBe(409);
    expect((second.json as { message: string }).message).toContain('default-a');
    expect((await send('POST', '/api/limits', 'admin', saturnLimit({ name: 'default-a' }))).status).toBe(409);
    expect((await send('POST', '/api/limits', 'admin', saturnLimit({ name: 'elsewhere', org_id: 'acme' }))).status).toBe(404);
    expect((await send('GET', '/api/limits?org_id=acme', 'admin')).status).toBe(404);
    expect((await send('DELETE', `/api/limits/${first.id}`, 'admin')).status).toBe(204);
  });

  it('is admin\'s only: a member can neither read, make, change nor give themselves a limit', async () => {
    const limit = await createLimit({ name: 'generous' });
    for (const [method, path, body] of [
      ['GET', '/api/limits', undefined],
      ['POST', '/api/limits', saturnLimit({ name: 'mine' })],
      ['PATCH', `/api/limits/${limit.id}`, { hours_per_day: null }],
      ['DELETE', `/api/limits/${limit.id}`, undefined],
      ['PATCH', '/api/users/ann', { limits_id: limit.id }],
      ['PATCH', '/api/groups/ml', { limits_id: limit.id }],
    ] as const) {
      const reply = await send(method, path, 'ann', body);
      expect(reply.status, `${method} ${path}`).toBe(403);
      expect((reply.json as { code: string }).code).toBe('forbidden');
    }
    expect((await send('GET', '/api/user', 'ann')).json).toMatchObject({ limits_id: null });
    await send('DELETE', `/api/limits/${limit.id}`, 'admin');
  });
});

describe('limits_id: the most specific limit applies', () => {
  it('gives a user their own limit over their group\'s and the default, and shows it at GET /api/user', async () => {
    // Prepare
    const fallback = await createLimit({ name: 'everyone', is_default: true, num_instances: 50 });
    const group = await createLimit({ name: 'ml-group', num_instances: 10 });
    const own = await createLimit({ name: 'ann-own', num_instances: 3 });
    // Act + Assess: default, then the group's, then ann's own
    expect((await send('GET', '/api/user', 'ann')).json).toMatchObject({ limits_id: null, limits: { name: 'everyone' }, limits_usage: { instances_running: 0 } });
    expect((await send('PATCH', '/api/groups/ml', 'admin', { limits_id: group.id })).json).toEqual({ name: 'ml', limits_id: group.id });
    expect((await send('GET', '/api/user', 'ann')).json).toMatchObject({ limits: { name: 'ml-group' } });
    expect((await send('PATCH', '/api/users/ann', 'admin', { limits_id: own.id })).json).toMatchObject({ username: 'ann', limits_id: own.id });
    expect((await send('GET', '/api/user', 'ann')).json).toMatchObject({ limits_id: own.id, limits: { name: 'ann-own', num_instances: 3 } });
    // bob is in no group with a limit: the default
    expect((await send('GET', '/api/user', 'bob')).json).toMatchObject({ limits: { name: 'everyone' } });
    // Deleting ann's limit gives her the group's again.
    await send('DELETE', `/api/limits/${own.id}`, 'admin');
    expect((await send('GET', '/api/user', 'ann')).json).toMatchObject({ limits_id: null, limits: { name: 'ml-group' } });
    // Clean up
    await send('PATCH', '/api/groups/ml', 'admin', { limits_id: null });
    for (const id of [fallback.id, group.id]) await send('DELETE', `/api/limits/${id}`, 'admin');
  });

  it('refuses a limit that does not exist, a user that does not exist, and a group named for a user', async () => {
    expect((await send('PATCH', '/api/users/ann', 'admin', { limits_id: 'f'.repeat(32) })).status).toBe(404);
    const limit = await createLimit({ name: 'someone' });
    expect((await send('PATCH', '/api/users/nobody', 'admin', { limits_id: limit.id })).status).toBe(404);
    expect((await send('PATCH', '/api/groups/ann', 'admin', { limits_id: limit.id })).status).toBe(404);
    expect((await send('PATCH', '/api/users/ann', 'admin', { limits_id: limit.id, colour: 'red' })).status).toBe(400);
    await send('DELETE', `/api/limits/${limit.id}`, 'admin');
  });
});

describe('enforcement on apply and start', () => {
  it('refuses sizes, resource types, auto_shutoff, disk and shared folders the limit does not allow, naming the limit and the number, and records nothing', async () => {
    // Prepare
    const limit = await createLimit({ name: 'interns', instance_sizes: ['small', 'medium'], resource_types: ['deployment', 'workspace'], auto_shutoff: 6, storage_in_gb: 20, num_shared_folders: 0 });
    await send('PATCH', '/api/users/bob', 'admin', { limits_id: limit.id });
    // Act + Assess
    expectLimitExceeded(await send('PUT', '/api/recipes', 'bob', deployment('big', { instance_type: 'large' })), 'interns', 'instance_sizes small, medium', 'spec.instance_type is large');
    expectLimitExceeded(
      await send('PUT', '/api/recipes', 'bob', deployment('dask', { instance_type: 'small', dask_cluster: { num_workers: 1, worker: { instance_type: '2xlarge' } } })),
      'spec.dask_cluster.worker.instance_type is 2xlarge',
    );
    expectLimitExceeded(await send('PUT', '/api/recipes', 'bob', { schema_version: '2025.10.01', type: 'job', spec: { name: 'etl', command: 'run' } }), 'resource_types', 'job');
    const workspace = (spec: Record<string, unknown>) => ({ schema_version: '2025.10.01', type: 'workspace', spec: { name: 'ws', ...spec } });
    expectLimitExceeded(await send('PUT', '/api/recipes', 'bob', workspace({ auto_shutoff: '24 hours' })), 'auto_shutoff of at most 6 hours', '24 hours');
    expectLimitExceeded(await send('PUT', '/api/recipes', 'bob', workspace({ disk_space: '50Gi' })), 'storage_in_gb 20', '50Gi');
    expect((await send('PUT', '/api/shared_folders/data', 'bob', {})).status).toBeLessThan(300);
    expectLimitExceeded(await send('PUT', '/api/recipes', 'bob', deployment('folders', { shared_folders: [{ name: 'data', path: '/home/jovyan/shared/data' }] })), 'num_shared_folders 0', 'has 1');
    expect((await send('GET', '/api/recipes', 'bob')).json).toMatchObject({ recipes: [] });
    // What the limit allows applies.
    expect((await send('PUT', '/api/recipes', 'bob', workspace({ auto_shutoff: '6 hours', disk_space: '20Gi' }))).status).toBe(201);
    // Clean up
    await send('DELETE', `/api/limits/${limit.id}`, 'admin');
  });

  it('holds a member to their own limit when they apply or start what their group owns', async () => {
    // Prepare: ann may use small only; her group ml has no limit.
    const limit = await createLimit({ name: 'ann-small', instance_sizes: ['small'], num_instances: 1 });
    await send('PATCH', '/api/users/ann', 'admin', { limits_id: limit.id });
    // Act + Assess
    expectLimitExceeded(await send('PUT', '/api/recipes', 'ann', deployment('group-big', { owner: 'ml', instance_type: 'large' })), 'ann-small', 'spec.instance_type is large');
    const pair = (await send('PUT', '/api/recipes', 'admin', deployment('group-pair', { owner: 'ml', instance_type: 'small', scale: 2 }))).json as { state: { id: string } };
    expectLimitExceeded(await send('POST', `/api/deployments/${pair.state.id}/start`, 'ann'), 'ann-small', 'num_instances 1');
    // Clean up
    await send('PATCH', '/api/users/ann', 'admin', { limits_id: null });
    await send('DELETE', `/api/limits/${limit.id}`, 'admin');
  });

  it('refuses a start that would run more instances at once than num_instances, counting replicas and Dask workers', async () => {
    // Prepare: ann may run 4; api runs 2 replicas, dask runs 1 replica + scheduler + 2 workers.
    const limit = await createLimit({ name: 'four', num_instances: 4 });
    await send('PATCH', '/api/users/ann', 'admin', { limits_id: limit.id });
    const api = (await send('PUT', '/api/recipes', 'ann', deployment('api', { scale: 2 }))).json as { state: { id: string } };
    const dask = (await send('PUT', '/api/recipes', 'ann', deployment('cluster', { dask_cluster: { num_workers: 2 } }))).json as { state: { id: string } };
    expect((await send('POST', `/api/deployments/${api.state.id}/start`, 'ann')).status).toBe(200);
    // Act
    const refused = await send('POST', `/api/deployments/${dask.state.id}/start`, 'ann');
    // Assess
    expectLimitExceeded(refused, 'four', 'num_instances 4', 'would make 6');
    const events = (await send('GET', `/api/deployments/${dask.state.id}/events`, 'ann')).json as { events: Array<{ type: string }> };
    expect(events.events.map((e) => e.type)).not.toContain('ResourceStartRequested');
    // A start of what already runs is a no-op, whatever the limit; a stop frees room.
    expect((await send('POST', `/api/deployments/${api.state.id}/start`, 'ann')).status).toBe(200);
    await send('POST', `/api/deployments/${api.state.id}/stop`, 'ann');
    expect((await send('POST', `/api/deployments/${dask.state.id}/start`, 'ann')).status).toBe(200);
    // Clean up
    await send('POST', `/api/deployments/${dask.state.id}/stop`, 'ann');
    await send('PATCH', '/api/users/ann', 'admin', { limits_id: null });
    await send('DELETE', `/api/limits/${limit.id}`, 'admin');
  });
});

describe('enforcement over time (hours windows)', () => {
  it('stops what runs once hours_per_day is used, as system:limits naming the limit, refuses new starts and skips scheduled runs', async () => {
    // Prepare: bob may use 1 instance-hour a day; his deployment has run a replica since 09:00.
    const limit = await createLimit({ name: 'one-hour', hours_per_day: 1 });
    await send('PATCH', '/api/users/bob', 'admin', { limits_id: limit.id });
    now = new Date('2026-12-06T09:00:00Z');
    const web = (await send('PUT', '/api/recipes', 'bob', deployment('web'))).json as { state: { id: string } };
    expect((await send('POST', `/api/deployments/${web.state.id}/start`, 'bob')).status).toBe(200);
    // The runtime's report of the replica (projected into the usage view at once, as the feed does).
    const address = { streamId: `resource-${web.state.id.slice(0, 24)}` };
    const head = await store.head(address.streamId);
    await store.append(address.streamId, {
      expectedVersion: head.version,
      events: [{ type: 'ReplicaStarted', data: { pod: 'web-1', revision: 1 }, at: '2026-12-06T09:00:00.000Z', actor: 'system:runtime' }],
      snapshot: head.snapshot!,
      recentCommands: head.recentCommands,
    });
    // 30 minutes in: under the limit, nothing stops.
    now = new Date('2026-12-06T09:30:00Z');
    expect(await services.limits.enforce()).toEqual([]);
    expect((await send('GET', '/api/user', 'bob')).json).toMatchObject({ limits_usage: { hours_today: 0.5 } });
    // Act: an hour in
    now = new Date('2026-12-06T10:00:01Z');
    const stopped = await services.limits.enforce();
    // Assess
    expect(stopped).toEqual([web.state.id]);
    const events = (await send('GET', `/api/deployments/${web.state.id}/events`, 'bob')).json as { events: Array<{ type: string; actor: string; data: { reason?: string } }> };
    const stop = events.events.at(-1)!;
    expect(stop).toMatchObject({ type: 'ResourceStopRequested', actor: LIMITS_ACTOR });
    expect(stop.data.reason).toContain('one-hour: hours_per_day is 1 instance-hours and bob has used 1.0003 today');
    expect(await services.limits.enforce()).toEqual([]); // stopped already: nothing more
    // New starts are refused until the day resets, scheduled runs are skipped with the reason.
    expectLimitExceeded(await send('POST', `/api/deployments/${web.state.id}/start`, 'bob'), 'one-hour', 'hours_per_day is 1');
    await send('PATCH', `/api/limits/${limit.id}`, 'admin', { resource_types: null });
    const job = (await send('PUT', '/api/recipes', 'bob', { schema_version: '2025.10.01', type: 'job', spec: { name: 'nightly', command: 'run', schedule: '0 * * * *' } })).json as { state: { id: string } };
    expectLimitExceeded(await send('POST', `/api/jobs/${job.state.id}/runs`, 'bob', {}), 'hours_per_day');
    await services.runs.tick(job.state.id, '2026-12-06T10:00:00.000Z');
    const jobEvents = (await send('GET', `/api/jobs/${job.state.id}/events`, 'bob')).json as { events: Array<{ type: string; data: { reason?: string } }> };
    expect(jobEvents.events.at(-1)).toMatchObject({ type: 'JobTickSkipped', data: { reason: expect.stringContaining('skipped: Usage limit one-hour: hours_per_day is 1') } });
    // The next UTC day the window is empty again.
    now = new Date('2026-12-07T00:00:01Z');
    expect((await send('POST', `/api/deployments/${web.state.id}/start`, 'bob')).status).toBe(200);
  });
});
