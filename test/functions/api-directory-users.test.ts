/**
 * Users who sign in through the directory (a Cognito JWT that API Gateway's authorizer
 * verified) through the API handler, over an embedded DynamoDB: their first request records
 * them as platform users, so they can hold API tokens without an admin; later sign-ins follow
 * the directory's groups and admin role, and an unchanged sign-in appends nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import { DIRECTORY_ACTOR } from '../../shared/app/identity-service.ts';
import { principalStreamId } from '../../shared/domain/identity/principal-decider.ts';
import { createApi } from '../../functions/api/create-api.ts';
import type { ApiHandler } from '../../infra/local/http-adapter.ts';
import { callApi } from './support/api-event.ts';
import { dynamoServices } from '../app/support/dynamo-services.ts';

const ADMIN_TOKEN = 'directory-test-admin-token';

let dynamo: EmbeddedDynamo;
let store: ReturnType<typeof dynamoServices>['store'];
let services: ReturnType<typeof dynamoServices>['services'];
let handler: ApiHandler;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  ({ store, services } = dynamoServices(dynamo));
  await services.identity.bootstrapAdmin(ADMIN_TOKEN);
  handler = createApi({ services: { ...services, version: '0.0.0-test' } }) as unknown as ApiHandler;
});

afterAll(async () => {
  await dynamo?.close();
});

/** A request signed in as a directory user: the claims the Lambda authorizer passes on. */
function signedIn(claims: Record<string, unknown>, method: string, path: string, body?: unknown) {
  return callApi(handler, {
    method,
    path,
    claims,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function eventsOf(name: string) {
  return (await store.read(principalStreamId(name), 0, 100)).events;
}

describe('directory users (Cognito sign-in)', () => {
  it('records a user at the first signed-in request, with their groups, as the directory and not an admin', async () => {
    // Act
    const reply = await signedIn({ 'cognito:username': 'lin', email: 'lin@example.com', 'cognito:groups': ['analytics'] }, 'GET', '/api/user');

    // Assess
    expect(reply.status, reply.text).toBe(200);
    const events = await eventsOf('lin');
    expect(events.map((e) => [e.type, e.actor])).toEqual([['UserCreated', DIRECTORY_ACTOR]]);
    expect(events[0]!.data).toEqual({ username: 'lin', email: 'lin@example.com', groups: ['analytics'], admin: false });
    expect(await services.identity.principalExists('analytics')).toBe(true);
  });

  it('lets the recorded user issue and use an API token of their own, without an admin', async () => {
    // Act
    const issued = await signedIn({ 'cognito:username': 'lin', email: 'lin@example.com', 'cognito:groups': ['analytics'] }, 'POST', '/api/users/lin/tokens', { expires_in_days: 1 });
    const token = (issued.json as { token: string }).token;
    const me = await callApi(handler, { method: 'GET', path: '/api/user', headers: { authorization: `token ${token}` } });

    // Assess
    expect(issued.status, issued.text).toBe(201);
    expect(me.status, me.text).toBe(200);
    expect(me.json).toMatchObject({ username: 'lin', groups: ['analytics'], admin: false });
  });

  it("appends nothing for a sign-in that says what is on record, an access token's missing e-mail included", async () => {
    // Prepare
    const before = (await eventsOf('lin')).length;

    // Act
    await signedIn({ 'cognito:username': 'lin', 'cognito:groups': ['analytics'], token_use: 'access' }, 'GET', '/api/user');

    // Assess
    expect(await eventsOf('lin')).toHaveLength(before);
  });

  it("follows the directory's groups and admin role at the next sign-in, for tokens too", async () => {
    // Prepare
    const issued = await signedIn({ 'cognito:username': 'mo', 'cognito:groups': [] }, 'POST', '/api/users/mo/tokens', {});
    const token = (issued.json as { token: string }).token;

    // Act
    await signedIn({ 'cognito:username': 'mo', 'cognito:groups': ['admins', 'ops'] }, 'GET', '/api/user');
    const me = await callApi(handler, { method: 'GET', path: '/api/user', headers: { authorization: `Bearer ${token}` } });

    // Assess
    expect((await eventsOf('mo')).map((e) => e.type)).toEqual(['UserCreated', 'UserUpdated']);
    expect(me.json).toMatchObject({ username: 'mo', groups: ['ops'], admin: true });
  });

  it("refuses a sign-in whose name is a group's with 409 and a reason, recording nothing", async () => {
    // Prepare: lin's sign-in made the group analytics.
    const before = await eventsOf('analytics');

    // Act
    const reply = await signedIn({ 'cognito:username': 'analytics', 'cognito:groups': [] }, 'GET', '/api/user');

    // Assess
    expect(reply.status).toBe(409);
    expect(reply.json).toMatchObject({ code: 'conflict', message: expect.stringContaining("that name is a group's") });
    expect(await eventsOf('analytics')).toEqual(before);
  });
});
