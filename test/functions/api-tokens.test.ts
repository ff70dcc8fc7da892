/**
 * Token lineage and listing through the API handler (issue 19, finding 10): the handler built by
 * `createApi` over `platformServices`, an embedded DynamoDB whose appends are projected at once,
 * and a clock the test moves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import { createApi } from '../../functions/api/create-api.ts';
import type { ApiHandler } from '../../infra/local/http-adapter.ts';
import { callApi, callWithToken } from './support/api-event.ts';
import { dynamoServices } from '../app/support/dynamo-services.ts';
import { projectingStore } from '../app/support/projecting-store.ts';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoTokenViews } from '../../shared/adapters/dynamodb/dynamodb-token-views.ts';
import { TokenProjector } from '../../shared/app/consumers/token-projector.ts';
import { MAX_TOKEN_LINEAGE, TOKEN_USE_RESOLUTION_MS } from '../../shared/domain/identity/token-decider.ts';
import { tokenHash, tokenId } from '../../shared/domain/identity/api-token.ts';

const DAY_MS = 86_400_000;
const START = new Date('2026-03-01T12:00:00.000Z');
const ADMIN_TOKEN = 'tokens-test-admin-token';

let dynamo: EmbeddedDynamo;
let now: Date;
let handler: ApiHandler;

/** A fresh API over the same tables: nothing of the previous one's memory survives, as after a restart. */
function buildApi(): ApiHandler {
  const raw = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
  const store = projectingStore(raw, new TokenProjector({ tokenViews: new DynamoTokenViews(dynamo.client, dynamo.tables.views), store: raw }));
  const { services } = dynamoServices(dynamo, { clock: { now: () => now }, store });
  handler = createApi({ services: { ...services, version: '0.0.0-test' } }) as unknown as ApiHandler;
  return handler;
}

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  now = START;
  buildApi();
  const { services } = dynamoServices(dynamo, { clock: { now: () => now } });
  await services.identity.bootstrapAdmin(ADMIN_TOKEN);
});

afterAll(async () => {
  await dynamo?.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are read field by field against the contract
type Body = any;

function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Body; text: string }> {
  return callWithToken(handler, method, path, token, body);
}

async function issue(username: string, withToken: string, days?: number): Promise<{ token: string; id: string; expiresAt: string | null }> {
  const issued = await call('POST', `/api/users/${username}/tokens`, withToken, days === undefined ? {} : { expires_in_days: days });
  expect(issued.status, issued.text).toBe(201);
  return { token: issued.body.token, id: issued.body.token_id, expiresAt: issued.body.expires_at };
}

async function userWithToken(username: string, days: number): Promise<{ token: string; id: string; expiresAt: string | null }> {
  expect((await call('POST', '/api/users', ADMIN_TOKEN, { username })).status).toBe(201);
  return issue(username, ADMIN_TOKEN, days);
}

describe('tokens beget tokens (issue 19, finding 10)', () => {
  it('reproduces the finding: a child cannot outlive its parent, dies with it, and the owner can list them', async () => {
    // Prepare: ann holds a one-day token.
    now = START;
    const parent = await userWithToken('ann', 1);

    // Act: with it she asks for a token that would live a year, then revokes the parent.
    const child = await issue('ann', parent.token, 365);
    const listedBefore = await call('GET', '/api/tokens', child.token);
    const revoked = await call('DELETE', `/api/tokens/${parent.id}`, child.token);
    const childAfter = await call('GET', '/api/user', child.token);

    // Assess
    expect(child.expiresAt).toBe(parent.expiresAt);
    expect(listedBefore.status).toBe(200);
    expect(listedBefore.body.tokens.map((t: Body) => t.id).sort()).toEqual([parent.id, child.id].sort());
    expect(revoked.status).toBe(204);
    expect(childAfter.status).toBe(401);
    expect(childAfter.body.code).toBe('unauthenticated');
    expect(childAfter.body.message).toMatch(/issued with was revoked/);
  });

  it('keeps a revoked parent\'s grandchildren dead after a restart of the API', async () => {
    // Prepare
    now = START;
    const root = await userWithToken('ben', 30);
    const child = await issue('ben', root.token);
    const grandchild = await issue('ben', child.token);
    expect((await call('DELETE', `/api/tokens/${root.id}`, ADMIN_TOKEN)).status).toBe(204);

    // Act
    buildApi();
    const presented = await call('GET', '/api/user', grandchild.token);

    // Assess
    expect(presented.status).toBe(401);
  });

  it('lets a child live as long as asked for when that is shorter than its parent', async () => {
    now = START;
    const parent = await userWithToken('cat', 30);
    const child = await issue('cat', parent.token, 2);
    expect(child.expiresAt).toBe(new Date(START.getTime() + 2 * DAY_MS).toISOString());
    expect(parent.expiresAt).toBe(new Date(START.getTime() + 30 * DAY_MS).toISOString());
  });

  it(`refuses a token descending from more than ${MAX_TOKEN_LINEAGE} others with 403, issuing nothing`, async () => {
    // Prepare
    now = START;
    // The admin's token issued dan's first one: that is its first ancestor.
    let current = await userWithToken('dan', 30);
    for (let generation = 1; generation < MAX_TOKEN_LINEAGE; generation++) current = await issue('dan', current.token);
    const before = await call('GET', '/api/tokens', current.token);

    // Act
    const refused = await call('POST', '/api/users/dan/tokens', current.token, {});

    // Assess
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('forbidden');
    expect(refused.body.message).toMatch(new RegExp(`at most ${MAX_TOKEN_LINEAGE}`));
    expect((await call('GET', '/api/tokens', current.token)).body.tokens).toHaveLength(before.body.tokens.length);
  });
});

describe('GET /api/tokens', () => {
  it('lists the caller\'s usable tokens with id, creation, expiry, last use and origin, and never a token or its hash', async () => {
    // Prepare
    now = START;
    const first = await userWithToken('eve', 10);
    now = new Date(START.getTime() + 1000);
    const second = await issue('eve', first.token, 5);
    now = new Date(START.getTime() + 2000);
    const revoked = await issue('eve', ADMIN_TOKEN, 5);
    await call('DELETE', `/api/tokens/${revoked.id}`, ADMIN_TOKEN);
    const others = await userWithToken('fay', 10);

    // Act
    now = new Date(START.getTime() + 3000);
    const listed = await call('GET', '/api/tokens', first.token);

    // Assess
    expect(listed.status).toBe(200);
    expect(listed.body.tokens).toEqual([
      {
        id: second.id,
        created_at: new Date(START.getTime() + 1000).toISOString(),
        expires_at: second.expiresAt,
        last_used_at: null,
        scope: 'user',
        origin: { issued_by: 'eve', parent_token_id: first.id },
      },
      {
        id: first.id,
        created_at: START.toISOString(),
        expires_at: first.expiresAt,
        last_used_at: new Date(START.getTime() + 1000).toISOString(),
        scope: 'user',
        origin: { issued_by: 'admin', parent_token_id: tokenId(ADMIN_TOKEN) },
      },
    ]);
    for (const secret of [first.token, second.token, tokenHash(first.token), tokenHash(second.token), others.id]) expect(listed.text).not.toContain(secret);
  });

  it('records a successful use at most once per resolution interval, and no refused request', async () => {
    // Prepare: gus uses token `used`, and reads the listing with `reader`
    now = START;
    const used = await userWithToken('gus', 10);
    const reader = await issue('gus', ADMIN_TOKEN, 10);
    const lastUsed = async () => (await listOf(reader.token)).find((t: Body) => t.id === used.id).last_used_at;
    const useAt = async (at: number) => {
      now = new Date(at);
      expect((await call('GET', '/api/user', used.token)).status).toBe(200);
    };
    const firstUse = START.getTime() + 60_000;

    // Act and assess
    now = new Date(firstUse - 1);
    expect((await call('GET', '/api/recipes/job/no-such-job', used.token)).status).toBe(404);
    expect(await lastUsed()).toBeNull();
    await useAt(firstUse);
    expect(await lastUsed()).toBe(new Date(firstUse).toISOString());
    await useAt(firstUse + TOKEN_USE_RESOLUTION_MS - 1);
    expect(await lastUsed()).toBe(new Date(firstUse).toISOString());
    await useAt(firstUse + TOKEN_USE_RESOLUTION_MS);
    expect(await lastUsed()).toBe(new Date(firstUse + TOKEN_USE_RESOLUTION_MS).toISOString());
  });

  it('is described in /openapi.json', async () => {
    const reply = await callApi(handler, { method: 'GET', path: '/openapi.json' });
    const operation = (reply.json as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }).paths['/api/tokens']?.get;
    expect(operation?.responses['200']).toBeDefined();
    expect(JSON.stringify(operation)).toContain('last_used_at');
  });

  it('drops expired tokens from the listing', async () => {
    now = START;
    const short = await userWithToken('hal', 1);
    const long = await issue('hal', ADMIN_TOKEN, 10);
    now = new Date(START.getTime() + DAY_MS);
    expect((await listOf(long.token)).map((t: Body) => t.id)).toEqual([long.id]);
    expect(short.id).not.toBe(long.id);
  });
});

async function listOf(token: string): Promise<Body[]> {
  const listed = await call('GET', '/api/tokens', token);
  expect(listed.status).toBe(200);
  return listed.body.tokens;
}
