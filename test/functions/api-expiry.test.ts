/**
 * Token expiry through the API handler, with a clock the test moves: the handler built by
 * `createApi` over `platformServices`, an embedded DynamoDB store and a pinned clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import { createApi } from '../../functions/api/create-api.ts';
import type { ApiHandler } from '../../infra/local/http-adapter.ts';
import { callApi } from './support/api-event.ts';
import { dynamoServices } from '../app/support/dynamo-services.ts';

const DAY_MS = 86_400_000;
const START = new Date('2026-03-01T12:00:00.000Z');
const ADMIN_TOKEN = 'expiry-test-admin-token';

let dynamo: EmbeddedDynamo;
let now: Date;
let handler: ApiHandler;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  now = START;
  const { services } = dynamoServices(dynamo, { clock: { now: () => now } });
  await services.identity.bootstrapAdmin(ADMIN_TOKEN);
  handler = createApi({ services: { ...services, version: '0.0.0-test' } }) as unknown as ApiHandler;
});

afterAll(async () => {
  await dynamo?.close();
});

interface Reply {
  status: number;
  body: { code?: string; message?: string; token?: string; token_id?: string; expires_at?: string | null; username?: string };
}

async function call(method: string, path: string, token: string, body?: unknown): Promise<Reply> {
  const reply = await callApi(handler, {
    method,
    path,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: reply.status, body: (reply.json ?? {}) as Reply['body'] };
}

async function tokenFor(username: string, body: unknown): Promise<{ token: string; expiresAt: string | null | undefined }> {
  await call('POST', '/api/users', ADMIN_TOKEN, { username });
  const issued = await call('POST', `/api/users/${username}/tokens`, ADMIN_TOKEN, body);
  expect(issued.status).toBe(201);
  return { token: issued.body.token!, expiresAt: issued.body.expires_at };
}

describe('token expiry', () => {
  it('accepts a token until the moment it expires, then answers 401 saying it expired', async () => {
    // Prepare
    now = START;
    const { token, expiresAt } = await tokenFor('day-pass', { expires_in_days: 1 });
    expect(expiresAt).toBe(new Date(START.getTime() + DAY_MS).toISOString());

    // Act
    now = new Date(START.getTime() + DAY_MS - 1);
    const justBefore = await call('GET', '/api/user', token);
    now = new Date(START.getTime() + DAY_MS);
    const atExpiry = await call('GET', '/api/user', token);

    // Assess
    expect(justBefore.status).toBe(200);
    expect(justBefore.body.username).toBe('day-pass');
    expect(atExpiry.status).toBe(401);
    expect(atExpiry.body.code).toBe('unauthenticated');
    expect(atExpiry.body.message).toMatch(/expired/);
  });

  it('gives a token 90 days by default', async () => {
    // Prepare
    now = START;
    const { token, expiresAt } = await tokenFor('default-pass', {});

    // Act
    now = new Date(START.getTime() + 90 * DAY_MS - 1);
    const lastMoment = await call('GET', '/api/user', token);
    now = new Date(START.getTime() + 90 * DAY_MS);
    const expired = await call('GET', '/api/user', token);

    // Assess
    expect(expiresAt).toBe(new Date(START.getTime() + 90 * DAY_MS).toISOString());
    expect(lastMoment.status).toBe(200);
    expect(expired.status).toBe(401);
    expect(expired.body.message).toMatch(/expired/);
  });

  it('never expires the bootstrapped admin token', async () => {
    // Prepare
    now = new Date(START.getTime() + 100 * 365 * DAY_MS);

    // Act
    const response = await call('GET', '/api/user', ADMIN_TOKEN);

    // Assess
    expect(response.status).toBe(200);
    expect(response.body.username).toBe('admin');
  });

  it('says "not valid", not "expired", for a revoked token that has not expired', async () => {
    // Prepare
    now = START;
    await call('POST', '/api/users', ADMIN_TOKEN, { username: 'revoked-pass' });
    const issued = await call('POST', '/api/users/revoked-pass/tokens', ADMIN_TOKEN, { expires_in_days: 30 });
    await call('DELETE', `/api/tokens/${issued.body.token_id}`, ADMIN_TOKEN);

    // Act
    const response = await call('GET', '/api/user', issued.body.token!);

    // Assess
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('unauthenticated');
    expect(response.body.message).not.toMatch(/expired/);
  });
});
