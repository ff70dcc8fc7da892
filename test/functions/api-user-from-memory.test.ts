/**
 * `GET /api/user` from memory (issue 13), wired as local mode wires it: one StreamStateCache
 * holding tokens, users and the usage limits' stream, every append of the process through its
 * watch. After the first call the answer reads no event stream, and each change to what it shows
 * — a limit set as the default, changed, given to the user, given to a group the user is moved
 * into, removed — is in the very next answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import type { ApiHandler } from '../../infra/local/http-adapter.ts';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { StreamStateCache } from '../../shared/app/stream-state-cache.ts';
import type { EventStore } from '../../shared/ports/event-store.ts';
import { limitSettings } from '../domain/support/usage-limit-settings.ts';
import { projectedApi } from './support/projected-api.ts';
import { callWithToken } from './support/api-event.ts';

const ADMIN_TOKEN = 'user-from-memory-admin-token';
let dynamo: EmbeddedDynamo;
let handler: ApiHandler;
let tokens: Record<string, string>;
/** Event-stream reads (heads, reads) below the cache: what a request costs the store. */
let streamReads = 0;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  const plain = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
  const raw: EventStore = {
    head: (id) => (streamReads++, plain.head(id)),
    read: (id, after, limit) => (streamReads++, plain.read(id, after, limit)),
    batchesAfter: (id, after) => plain.batchesAfter(id, after),
    allBatches: () => plain.allBatches(),
    append: (id, request) => plain.append(id, request),
  };
  ({ handler, tokens } = await projectedApi(dynamo, ADMIN_TOKEN, {}, { raw, identityCache: new StreamStateCache() }));
});

afterAll(async () => {
  await dynamo?.close();
});

function send(method: string, path: string, as: string, body?: unknown) {
  return callWithToken(handler, method, path, tokens[as]!, body);
}

async function createLimit(fields: Record<string, unknown>): Promise<string> {
  const reply = await send('POST', '/api/limits', 'admin', { org_id: 'cassini', ...limitSettings({ name: 'limit' }), object_storage_bytes: null, object_storage_count: null, ...fields });
  expect(reply.status, reply.text).toBe(201);
  return reply.body.id as string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the answer is read field by field
async function caller(as: string): Promise<any> {
  const reply = await send('GET', '/api/user', as);
  expect(reply.status, reply.text).toBe(200);
  return reply.body;
}

describe('GET /api/user from memory', () => {
  it('reads no event stream once the caller, its token and the limits are held', async () => {
    // Prepare: the first answers record the token's use (an append, which the next read follows)
    await caller('bob');
    await caller('bob');
    const before = streamReads;

    // Act
    for (let i = 0; i < 5; i++) await caller('bob');

    // Assess
    expect(streamReads - before).toBe(0);
  });

  it('shows each change to the caller\'s limit in the very next answer', async () => {
    // Prepare: ann's answer is held
    expect(await caller('ann')).toMatchObject({ limits_id: null, limits: null, limits_usage: null });

    // Act + Assess: a default limit set
    const fallback = await createLimit({ name: 'everyone', is_default: true, num_instances: 40 });
    expect(await caller('ann')).toMatchObject({ limits_id: null, limits: { id: fallback, name: 'everyone', num_instances: 40 }, limits_usage: { instances_running: 0 } });

    // changed
    expect((await send('PATCH', `/api/limits/${fallback}`, 'admin', { num_instances: 20 })).status).toBe(200);
    expect(await caller('ann')).toMatchObject({ limits: { id: fallback, num_instances: 20 } });

    // given to ann herself
    const own = await createLimit({ name: 'ann-own', num_instances: 3 });
    expect((await send('PATCH', '/api/users/ann', 'admin', { limits_id: own })).status).toBe(200);
    expect(await caller('ann')).toMatchObject({ limits_id: own, limits: { name: 'ann-own' } });

    // taken away again, then removed altogether
    expect((await send('PATCH', '/api/users/ann', 'admin', { limits_id: null })).status).toBe(200);
    expect(await caller('ann')).toMatchObject({ limits_id: null, limits: { name: 'everyone' } });
    expect((await send('DELETE', `/api/limits/${fallback}`, 'admin')).status).toBe(204);
    expect((await send('DELETE', `/api/limits/${own}`, 'admin')).status).toBe(204);
    expect(await caller('ann')).toMatchObject({ limits_id: null, limits: null, limits_usage: null });
  });

  it('shows the limit of a group the caller was just moved into, and drops it once moved out', async () => {
    // Prepare: a group with a limit, and bob's answer held while he is not in it
    const groupLimit = await createLimit({ name: 'ml-members', num_instances: 7 });
    expect((await send('PATCH', '/api/groups/ml', 'admin', { limits_id: groupLimit })).status).toBe(200);
    expect(await caller('bob')).toMatchObject({ limits: null });

    // Act + Assess: regrouped in, then out
    expect((await send('PATCH', '/api/users/bob', 'admin', { groups: ['data', 'ml'] })).status).toBe(200);
    expect(await caller('bob')).toMatchObject({ groups: ['data', 'ml'], limits: { name: 'ml-members', num_instances: 7 } });
    expect((await send('PATCH', '/api/users/bob', 'admin', { groups: ['data'] })).status).toBe(200);
    expect(await caller('bob')).toMatchObject({ groups: ['data'], limits: null });
  });
});
