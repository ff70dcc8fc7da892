/**
 * The usage routes through the API handler over an embedded DynamoDB: Saturn's shapes
 * (`{"usage": [...]}` at the org and member routes), the filters and CSV of our extension, who
 * may see what, and a rebuild of the usage read model answering the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import type { ApiHandler } from '../../infra/local/http-adapter.ts';
import { createApi } from '../../functions/api/create-api.ts';
import { admin, ann, bob, createUsers } from '../app/support/catalog-platform.ts';
import { projectingStore } from '../app/support/projecting-store.ts';
import { dynamoServices } from '../app/support/dynamo-services.ts';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoUsageViews } from '../../shared/adapters/dynamodb/dynamodb-usage-views.ts';
import { UsageProjector } from '../../shared/app/consumers/usage-projector.ts';
import { newestBatches } from '../../shared/app/consumers/rebuild-projections.ts';
import { callApi, type ApiReply } from './support/api-event.ts';
import type { EventStore } from '../../shared/ports/event-store.ts';
import { DEFAULT_PRICES } from '../../shared/domain/usage/instance-prices.ts';

const ADMIN_TOKEN = 'usage-admin-token';
const JOB = 'a'.repeat(32);
const SERVICE = 'b'.repeat(32);
const NOW = new Date('2026-12-03T12:00:00Z');

let dynamo: EmbeddedDynamo;
let handler: ApiHandler;
let raw: EventStore;
let usageViews: DynamoUsageViews;
const tokens: Record<string, string> = {};

/** Appends one batch of events to a stream, as a command would (the usage projector sees it at once). */
async function record(store: EventStore, streamId: string, events: Array<{ type: string; data: unknown; at: string }>): Promise<void> {
  const head = await store.head(streamId);
  await store.append(streamId, { expectedVersion: head.version, events: events.map((e) => ({ ...e, actor: 'system:test' })), snapshot: { schema: -1, state: null }, recentCommands: [] });
}

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  raw = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
  usageViews = new DynamoUsageViews(dynamo.client, dynamo.tables.views);
  const { services } = dynamoServices(dynamo, { clock: { now: () => NOW } });
  await services.identity.bootstrapAdmin(ADMIN_TOKEN);
  await createUsers(services);
  tokens.admin = ADMIN_TOKEN;
  for (const user of [ann, bob]) tokens[user.username] = (await services.identity.issueToken(admin, { kind: 'directory' }, user.username)).token;
  handler = createApi({ services: { ...services, version: '0.0.0-test' } }) as unknown as ApiHandler;

  // ann's job ran one run of 2 ranks: 1 h 30 min across midnight, and 1 h; bob's deployment has one replica still running.
  const store = projectingStore(raw, new UsageProjector({ usageViews, store: raw }));
  await record(store, 'resource-1', [{ type: 'ResourceCreated', data: { id: JOB, type: 'job', owner: 'ann', name: 'etl', incarnation: 1, spec: { instance_type: 'large' } }, at: '2026-12-01T00:00:00Z' }]);
  await record(store, 'run-r1', [{ type: 'RunQueued', data: { run_id: 'r1', job_id: JOB, owner: 'ann', plan: { instance_type: 'large', scale: 2 } }, at: '2026-12-01T23:00:00Z' }]);
  await record(store, 'run-r1', [{ type: 'TaskStarted', data: { task_id: 't0' }, at: '2026-12-01T23:00:00Z' }]);
  await record(store, 'run-r1', [{ type: 'TaskStarted', data: { task_id: 't1' }, at: '2026-12-01T23:30:00Z' }]);
  await record(store, 'run-r1', [
    { type: 'TaskExited', data: { task_id: 't1', exit_code: 0, reason: 'exited' }, at: '2026-12-02T00:30:00Z' },
    { type: 'TaskExited', data: { task_id: 't0', exit_code: 0, reason: 'exited' }, at: '2026-12-02T00:30:00Z' },
  ]);
  await record(store, 'resource-2', [
    { type: 'ResourceCreated', data: { id: SERVICE, type: 'deployment', owner: 'bob', name: 'api', incarnation: 1, spec: { instance_type: 'small' } }, at: '2026-12-03T00:00:00Z' },
    { type: 'ResourceStartRequested', data: {}, at: '2026-12-03T00:00:00Z' },
  ]);
  await record(store, 'resource-2', [{ type: 'ReplicaStarted', data: { pod: 'p1', revision: 1 }, at: '2026-12-03T10:00:00Z' }]);
});

afterAll(async () => {
  await dynamo?.close();
});

function get(path: string, as = 'admin', headers: Record<string, string> = {}): Promise<ApiReply> {
  return callApi(handler, { method: 'GET', path, headers: { authorization: `Bearer ${tokens[as]}`, ...headers } });
}

const RANGE = 'start=2026-12-01&end=2026-12-03';

describe('GET /api/orgs/{org_id}/usage/daily', () => {
  it('answers in Saturn\'s shape: instance-hours per day, owner, resource and size, open intervals until now', async () => {
    const reply = await get(`/api/orgs/cassini/usage/daily?${RANGE}`);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      usage: [
        { date: '2026-12-01', owner: 'ann', resource_id: JOB, resource_name: 'etl', resource_type: 'job', instance_type: 'large', instance_seconds: 5400, instance_hours: 1.5 },
        { date: '2026-12-02', owner: 'ann', resource_id: JOB, resource_name: 'etl', resource_type: 'job', instance_type: 'large', instance_seconds: 3600, instance_hours: 1 },
        { date: '2026-12-03', owner: 'bob', resource_id: SERVICE, resource_name: 'api', resource_type: 'deployment', instance_type: 'small', instance_seconds: 7200, instance_hours: 2 },
      ],
    });
  });

  it('takes the day of a date-time as Saturn\'s client sends it (datetime.isoformat())', async () => {
    const reply = await get('/api/orgs/cassini/usage/daily?start=2026-12-02T00:00:00&end=2026-12-02T23:59:59.999999');
    expect((reply.json as { usage: Array<{ date: string }> }).usage.map((r) => r.date)).toEqual(['2026-12-02']);
  });

  it('counts days of the time zone in tz=', async () => {
    // In Asia/Tokyo (UTC+9) all of ann's run falls on 2026-12-02.
    const reply = await get(`/api/orgs/cassini/usage/daily?${RANGE}&tz=Asia/Tokyo&group_by=owner`);
    expect((reply.json as { usage: unknown[] }).usage).toEqual([
      { date: '2026-12-02', owner: 'ann', instance_seconds: 9000, instance_hours: 2.5 },
      { date: '2026-12-03', owner: 'bob', instance_seconds: 7200, instance_hours: 2 },
    ]);
  });

  it('filters by owner, resource and size, and sums by the columns of group_by', async () => {
    const byOwner = await get(`/api/orgs/cassini/usage/daily?${RANGE}&owner=bob&group_by=size`);
    expect((byOwner.json as { usage: unknown[] }).usage).toEqual([{ date: '2026-12-03', instance_type: 'small', instance_seconds: 7200, instance_hours: 2 }]);
    const bySize = await get(`/api/orgs/cassini/usage/daily?${RANGE}&size=large&group_by=size`);
    expect((bySize.json as { usage: Array<{ instance_seconds: number }> }).usage.map((r) => r.instance_seconds)).toEqual([5400, 3600]);
    const byResource = await get(`/api/orgs/cassini/usage/daily?${RANGE}&resource=${SERVICE}&group_by=kind`);
    expect((byResource.json as { usage: unknown[] }).usage).toEqual([{ date: '2026-12-03', kind: 'replica', instance_seconds: 7200, instance_hours: 2 }]);
  });

  it('answers CSV to Accept: text/csv, with the same numbers', async () => {
    const reply = await get(`/api/orgs/cassini/usage/daily?${RANGE}&group_by=owner,size`, 'admin', { accept: 'text/csv' });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe(
      ['date,owner,instance_type,instance_seconds,instance_hours', '2026-12-01,ann,large,5400,1.5', '2026-12-02,ann,large,3600,1', '2026-12-03,bob,small,7200,2', ''].join('\r\n'),
    );
  });

  it('shows a member only their own usage and their groups\', and another organization to no one', async () => {
    const own = await get(`/api/orgs/cassini/usage/daily?${RANGE}`, 'ann');
    expect((own.json as { usage: Array<{ owner: string }> }).usage.map((r) => r.owner)).toEqual(['ann', 'ann']);
    const others = await get(`/api/orgs/cassini/usage/daily?${RANGE}&owner=bob`, 'ann');
    expect((others.json as { usage: unknown[] }).usage).toEqual([]);
    const elsewhere = await get(`/api/orgs/acme/usage/daily?${RANGE}`);
    expect(elsewhere.status).toBe(404);
    expect((elsewhere.json as { code: string }).code).toBe('not_found');
  });

  it('refuses bad windows and filters with 400 naming the field', async () => {
    for (const [query, path] of [
      ['start=2026-12-03&end=2026-12-01', 'query.end'],
      ['start=2025-01-01&end=2026-12-01', 'query.end'],
      ['start=yesterday&end=2026-12-01', 'query.start'],
      ['start=2026-02-30&end=2026-03-01', 'query.start'],
      [`${RANGE}&tz=Mars/Olympus`, 'query.tz'],
      [`${RANGE}&group_by=colour`, 'query.group_by[0]'],
      [`${RANGE}&surprise=1`, 'query.surprise'],
    ] as const) {
      const reply = await get(`/api/orgs/cassini/usage/daily?${query}`);
      expect(reply.status, query).toBe(400);
      expect((reply.json as { details: Array<{ path: string }> }).details.map((d) => d.path), query).toContain(path);
    }
  });
});

describe('GET /api/orgs/{org_id}/members/{user_id}/usage/daily', () => {
  it('answers a member\'s own usage to them and to an admin, and 404 to another member', async () => {
    const expected = [
      expect.objectContaining({ date: '2026-12-01', owner: 'ann', instance_hours: 1.5 }),
      expect.objectContaining({ date: '2026-12-02', owner: 'ann', instance_hours: 1 }),
    ];
    expect((await get(`/api/orgs/cassini/members/ann/usage/daily?${RANGE}`, 'ann')).json).toEqual({ usage: expected });
    expect((await get(`/api/orgs/cassini/members/ann/usage/daily?${RANGE}`, 'admin')).json).toEqual({ usage: expected });
    const snooping = await get(`/api/orgs/cassini/members/ann/usage/daily?${RANGE}`, 'bob');
    expect(snooping.status).toBe(404);
  });
});

describe('the usage read model', () => {
  it('is rebuilt from the events alone (the newest batch of each stream) with identical answers', async () => {
    // Prepare
    const before = await get(`/api/orgs/cassini/usage/daily?${RANGE}&group_by=owner,resource,size,kind`);
    const foldsBefore = (await usageViews.all()).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    // Act: what rebuildProjections does for usage
    await usageViews.clear();
    expect(await usageViews.all()).toEqual([]);
    const projector = new UsageProjector({ usageViews, store: raw });
    for (const batch of await newestBatches(raw)) await projector.handle(batch);
    // Assess
    expect((await usageViews.all()).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(foldsBefore);
    expect((await get(`/api/orgs/cassini/usage/daily?${RANGE}&group_by=owner,resource,size,kind`)).json).toEqual(before.json);
  });
});

describe('prices', () => {
  it('adds cost per row from a price table, dated public on-demand prices by default', async () => {
    const { services } = dynamoServices(dynamo, { clock: { now: () => NOW }, prices: DEFAULT_PRICES });
    const priced = createApi({ services: { ...services, version: '0.0.0-test' } }) as unknown as ApiHandler;
    const reply = await callApi(priced, { method: 'GET', path: `/api/orgs/cassini/usage/daily?${RANGE}&group_by=size`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const rows = (reply.json as { usage: Array<{ instance_type: string; instance_hours: number; cost: number }> }).usage;
    for (const row of rows) expect(row.cost).toBeCloseTo(row.instance_hours * DEFAULT_PRICES[row.instance_type]!, 4);
    // Fargate in us-east-1: 2 vCPU and 16 GB (large) at $0.04048 per vCPU-hour and $0.004445 per GB-hour.
    expect(DEFAULT_PRICES.large).toBeCloseTo(2 * 0.04048 + 16 * 0.004445, 5);
  });
});
