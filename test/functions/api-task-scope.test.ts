/**
 * Task tokens through the API handler as API Gateway delivers them on AWS: the Lambda authorizer
 * passes a platform token on with an empty context (functions/authorizer/handler.ts), so the API
 * Lambda authenticates it and applies its scope, the same code as in local mode (issue 11, item 8).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import { createApi } from '../../functions/api/create-api.ts';
import type { ApiHandler } from '../../infra/local/http-adapter.ts';
import { callApi } from './support/api-event.ts';
import { dynamoServices } from '../app/support/dynamo-services.ts';
import { authorize } from '../../functions/authorizer/handler.ts';
import type { User } from '../../shared/domain/identity/principal-decider.ts';
import { ForbiddenError } from '../../shared/domain/errors.ts';

const admin: User = { username: 'admin', email: null, groups: [], admin: true };

let dynamo: EmbeddedDynamo;
let handler: ApiHandler;
let services: ReturnType<typeof dynamoServices>['services'];

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  ({ services } = dynamoServices(dynamo));
  await services.identity.bootstrapAdmin('scope-test-admin-token');
  await services.identity.createUser(admin, { username: 'ida', email: null, groups: [], admin: false });
  handler = createApi({ services: { ...services, version: '0.0.0-test' } }) as unknown as ApiHandler;
});

afterAll(async () => {
  await dynamo?.close();
});

async function asTask(token: string, method: string, path: string, body?: unknown) {
  const authorization = `Bearer ${token}`;
  // What the authorizer decides for a platform token: pass it on, adding no claims.
  const decision = await authorize(authorization, { verify: () => Promise.reject(new Error('a platform token is never verified as a JWT')) });
  expect(decision).toEqual({ isAuthorized: true, context: {} });
  const reply = await callApi(handler, {
    method,
    path,
    headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    lambdaAuthorizer: decision.context!,
  });
  return { status: reply.status, body: (reply.json ?? {}) as Record<string, unknown> };
}

describe('a task token on AWS', () => {
  it('says its scope, acts for its owner on resources and is refused the rest with 403 naming the scope', async () => {
    // Prepare
    const { token } = await services.identity.issueTaskToken('ida', 'task-1');

    // Act
    const me = await asTask(token, 'GET', '/api/user');
    const applied = await asTask(token, 'PUT', '/api/recipes', { schema_version: '2025.10.01', type: 'job', spec: { name: 'next-step', command: 'true' } });
    const listed = await asTask(token, 'GET', '/api/tokens');
    const deleted = await asTask(token, 'DELETE', `/api/jobs/${(applied.body.state as { id: string }).id}`);
    const secret = await asTask(token, 'PUT', '/api/secrets/from-task', { value: 'nope' });

    // Assess
    expect(me).toEqual({ status: 200, body: { username: 'ida', email: null, groups: [], admin: false, token_scope: 'task', limits_id: null, limits: null, limits_usage: null } });
    expect(applied.status).toBe(201);
    for (const refused of [listed, deleted, secret]) {
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ code: 'forbidden', message: expect.stringMatching(/token_scope "task"/) });
    }
  });

  it("gives an admin's task token no admin powers: it sees only the admin's own resources", async () => {
    // Prepare: a job of ida's that an admin's full token sees
    await services.resources.apply({ username: 'ida', email: null, groups: [], admin: false }, { type: 'job', spec: { name: 'idas-job', command: 'true' } }, { createOnly: false });
    const { token } = await services.identity.issueTaskToken('admin', 'task-2');

    // Act
    const me = await asTask(token, 'GET', '/api/user');
    const others = await asTask(token, 'GET', '/api/recipes/job/idas-job?owner_name=ida');

    // Assess
    expect(me.body).toMatchObject({ username: 'admin', admin: false, token_scope: 'task' });
    expect(others.status).toBe(404);
  });

  it('cannot issue a token even where a route forgot its scope: the identity service refuses it too', async () => {
    // Prepare
    const { token } = await services.identity.issueTaskToken('ida', 'task-4');
    const caller = await services.identity.authenticate(token);

    // Act
    const issuing = services.identity.issueToken(caller.user, caller.credential, 'ida');

    // Assess
    await expect(issuing).rejects.toThrow(ForbiddenError);
    await expect(issuing).rejects.toThrow(/token_scope "task"/);
  });

  it('dies with its task: once revoked, 401', async () => {
    const { token, token_id: id } = await services.identity.issueTaskToken('ida', 'task-3');
    await services.identity.revokeTaskToken(id);
    expect((await asTask(token, 'GET', '/api/user')).status).toBe(401);
  });
});
