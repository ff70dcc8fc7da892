/**
 * The catalog through the API handler (createApi over platformServices and an embedded
 * DynamoDB, catalog views projected on append): status codes, shapes, who may do what, and
 * that a secret's value appears in no stored event or view, no response and no console line.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import type { ApiHandler } from '../../infra/local/http-adapter.ts';
import { createApi } from '../../functions/api/create-api.ts';
import { admin, ann, bob, catalogPlatform, createUsers } from '../app/support/catalog-platform.ts';
import { callApi, type ApiReply } from './support/api-event.ts';

const ADMIN_TOKEN = 'catalog-api-admin-token';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/cassini-workloads/reader';

let dynamo: EmbeddedDynamo;
let platform: ReturnType<typeof catalogPlatform>;
let handler: ApiHandler;
const tokens: Record<string, string> = {};
const logged: string[] = [];

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  platform = catalogPlatform(dynamo);
  await platform.services.identity.bootstrapAdmin(ADMIN_TOKEN);
  await createUsers(platform.services);
  tokens.admin = ADMIN_TOKEN;
  for (const user of [ann, bob]) tokens[user.username] = (await platform.services.identity.issueToken(admin, { kind: 'directory' }, user.username)).token;
  const capture = (...args: unknown[]) => void logged.push(args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  handler = createApi({ services: { ...platform.services, version: '0.0.0-test' }, logger: { error: capture } }) as unknown as ApiHandler;
});

afterAll(async () => {
  await dynamo?.close();
});

async function send(as: string, method: string, path: string, body?: unknown): Promise<ApiReply> {
  const headers: Record<string, string> = { authorization: `Bearer ${tokens[as]}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return callApi(handler, { method, path, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
}

describe('secrets API', () => {
  it('creates with 201, changes with 200, and never returns the value', async () => {
    const created = await send('ann', 'PUT', '/api/secrets/api-key', { value: 'value-one', description: 'for the API' });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toEqual({ name: 'api-key', owner: 'ann', description: 'for the API', access: 'owner', created_at: expect.any(String), updated_at: expect.any(String) });

    const changed = await send('ann', 'PUT', '/api/secrets/api-key', { value: 'value-two', access: 'org' });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({ description: null, access: 'org' });

    const one = await send('bob', 'GET', '/api/secrets/api-key?owner_name=ann');
    expect(one.status).toBe(200);
    expect(Object.keys(one.json as object).sort()).toEqual(['access', 'created_at', 'description', 'name', 'owner', 'updated_at']);
  });

  it('answers 400 naming the bad fields, 403 for another owner, 404 for what the caller may not see', async () => {
    const bad = await send('ann', 'PUT', '/api/secrets/bad', { value: '', access: 'everyone', extra: 1 });
    expect(bad.status).toBe(400);
    expect((bad.json as { details: Array<{ path: string }> }).details.map((d) => d.path).sort()).toEqual(['access', 'extra', 'value']);
    expect((await send('ann', 'PUT', '/api/secrets/bad', {})).json).toMatchObject({ details: [{ path: 'value', message: 'is required' }] });
    expect((await send('ann', 'PUT', '/api/secrets/has.dot', { value: 'v' })).json).toMatchObject({ code: 'validation_error', details: [{ path: 'path.name' }] });
    expect((await send('bob', 'PUT', '/api/secrets/x', { value: 'v', owner: 'ml' })).status).toBe(403);
    await send('ann', 'PUT', '/api/secrets/private', { value: 'v' });
    expect((await send('bob', 'GET', '/api/secrets/private?owner_name=ann')).status).toBe(404);
    expect((await send('bob', 'DELETE', '/api/secrets/private?owner_name=ann')).status).toBe(404);
    expect((await send('bob', 'DELETE', '/api/secrets/api-key?owner_name=ann')).status).toBe(403);
  });

  it('lists what the caller may see and deletes with 204', async () => {
    const listed = await send('ann', 'GET', '/api/secrets');
    expect((listed.json as { secrets: Array<{ name: string }> }).secrets.map((s) => s.name)).toEqual(['api-key', 'private']);
    expect((await send('ann', 'DELETE', '/api/secrets/private')).status).toBe(204);
    expect((await send('ann', 'GET', '/api/secrets/private')).status).toBe(404);
    expect(((await send('bob', 'GET', '/api/secrets')).json as { secrets: Array<{ name: string }> }).secrets.map((s) => s.name)).toEqual(['api-key']);
  });
});

describe('shared folders, images and IAM roles API', () => {
  it('registers shared folders with their defaults', async () => {
    const reply = await send('ann', 'PUT', '/api/shared_folders/datasets', { owner: 'ml' });
    expect(reply.status).toBe(201);
    expect(reply.json).toMatchObject({ name: 'datasets', owner: 'ml', access: 'owner', access_mode: 'ReadWriteMany' });
    expect(((await send('ann', 'GET', '/api/shared_folders?owner_name=ml')).json as { shared_folders: unknown[] }).shared_folders).toHaveLength(1);
    expect((await send('ann', 'PUT', '/api/shared_folders/datasets', { owner: 'ml', access_mode: 'ReadOnlyMany' })).status).toBe(200);
  });

  it('registers images by full URI only', async () => {
    expect((await send('ann', 'PUT', '/api/images/torch', { uri: 'torch:2.3' })).json).toMatchObject({ details: [{ path: 'uri' }] });
    const reply = await send('ann', 'PUT', '/api/images/torch', { uri: 'ghcr.io/acme/torch', tags: ['2.3'], ide: 'jupyter' });
    expect(reply.status).toBe(201);
    expect(reply.json).toMatchObject({ name: 'torch', owner: 'ann', uri: 'ghcr.io/acme/torch', tags: ['2.3'], ide: 'jupyter' });
    expect((await send('bob', 'GET', '/api/images/torch')).status).toBe(200);
    expect((await send('bob', 'DELETE', '/api/images/torch')).status).toBe(403);
  });

  it('lets only admins register IAM roles, with a validated ARN', async () => {
    expect((await send('ann', 'PUT', '/api/iam_roles/reader', { role_arn: ROLE_ARN, allowed: ['ml'] })).status).toBe(403);
    expect((await send('admin', 'PUT', '/api/iam_roles/reader', { role_arn: 'arn:aws:iam::123:role/x', allowed: ['ml'] })).json).toMatchObject({ details: [{ path: 'role_arn' }] });
    const reply = await send('admin', 'PUT', '/api/iam_roles/reader', { role_arn: ROLE_ARN, allowed: ['ml'] });
    expect(reply.status).toBe(201);
    expect(reply.json).toMatchObject({ name: 'reader', role_arn: ROLE_ARN, allowed: ['ml'] });
    expect(((await send('ann', 'GET', '/api/iam_roles')).json as { iam_roles: unknown[] }).iam_roles).toHaveLength(1);
    expect((await send('bob', 'GET', '/api/iam_roles/reader')).status).toBe(404);
    expect((await send('ann', 'DELETE', '/api/iam_roles/reader')).status).toBe(403);
  });

  it('refuses a recipe attaching what its owner may not use, with the fields named', async () => {
    const refused = await send('bob', 'PUT', '/api/recipes', { type: 'job', spec: { name: 'j', command: 'true', iam_role: 'reader', shared_folders: [{ name: 'datasets', owner: 'ml' }] } });
    expect(refused.status).toBe(400);
    expect((refused.json as { details: Array<{ path: string }> }).details.map((d) => d.path)).toEqual(['spec.shared_folders[0].name', 'spec.iam_role']);
    const accepted = await send('ann', 'PUT', '/api/recipes', { type: 'job', spec: { name: 'j', command: 'true', iam_role: 'reader', image: 'torch:2.3' } });
    expect(accepted.status, accepted.text).toBe(201);
  });

  it('describes the catalog routes in the OpenAPI document', async () => {
    const doc = (await callApi(handler, { method: 'GET', path: '/openapi.json' })).json as { paths: Record<string, Record<string, unknown>> };
    for (const path of ['/api/secrets/{name}', '/api/shared_folders/{name}', '/api/images/{name}', '/api/iam_roles/{name}']) {
      expect(Object.keys(doc.paths[path]!).sort()).toEqual(['delete', 'get', 'put']);
    }
    expect(JSON.stringify(doc.paths['/api/secrets/{name}']!.put)).toContain('write-only');
  });
});

describe("a secret's value", () => {
  const CANARY = 'CANARY-7f3a9c-do-not-leak';
  const replies: ApiReply[] = [];
  const consoleLines: string[] = [];
  const spies: Array<ReturnType<typeof vi.spyOn>> = [];

  beforeEach(() => {
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      spies.push(vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void consoleLines.push(args.map(String).join(' '))));
    }
  });

  afterEach(() => {
    for (const spy of spies.splice(0)) spy.mockRestore();
  });

  it('appears in no stored event, view, response or log line, whatever the requests', async () => {
    // Act: every way a value can travel through the API, including refused ones.
    const value = (n: number) => `${CANARY}-${n}`;
    const requests: Array<[string, string, string, unknown?]> = [
      ['ann', 'PUT', '/api/secrets/canary', { value: value(1), description: 'canary' }],
      ['ann', 'PUT', '/api/secrets/canary', { value: value(2), access: 'org' }],
      ['ann', 'PUT', '/api/secrets/canary', { value: value(3), access: 'everyone' }],
      ['ann', 'PUT', '/api/secrets/canary', { value: value(4).repeat(4000) }],
      ['ann', 'PUT', '/api/secrets/canary', { value: [value(5)] }],
      ['ann', 'PUT', '/api/secrets/canary', { value: { nested: value(6) } }],
      ['ann', 'PUT', '/api/secrets/canary', [value(7)]],
      ['ann', 'PUT', '/api/secrets/canary', `{"value": "${value(8)}"`],
      ['bob', 'PUT', '/api/secrets/canary', { value: value(9), owner: 'ann' }],
      ['ann', 'PUT', '/api/secrets/canary', { value: value(10), owner: 'nobody' }],
      ['ann', 'PUT', '/api/secrets/..', { value: value(11) }],
      ['ann', 'PUT', '/api/secrets/a%2F..%2F..%2Fx', { value: value(12) }],
      ['ann', 'GET', '/api/secrets'],
      ['ann', 'GET', '/api/secrets/canary'],
      ['bob', 'GET', '/api/secrets/canary?owner_name=ann'],
      ['ann', 'PUT', '/api/recipes', { type: 'job', spec: { name: 'canary-job', command: 'true', secrets: [{ name: 'canary', attachment_type: 'environment_variable', location: 'TOKEN' }] } }],
      ['admin', 'GET', '/api/recipes?type=job'],
      ['admin', 'GET', '/api/secrets'],
    ];
    for (const [as, method, path, body] of requests) replies.push(await send(as, method, path, body));
    const job = replies[15]!.json as { state: { id: string } };
    replies.push(await send('ann', 'GET', `/api/jobs/${job.state.id}/events`));
    // The value the refused requests did not replace is in the secret store, and only there.
    expect(await platform.secretStore.get({ owner: 'ann', name: 'canary' })).toBe(value(2));
    replies.push(await send('ann', 'DELETE', '/api/secrets/canary'));

    // Assess: the value went where it should, and only there.
    expect(replies.map((r) => r.status)).toEqual([201, 200, 400, 400, 400, 400, 400, 400, 403, 403, 404, 400, 200, 200, 200, 201, 200, 200, 200, 204]);
    const events: string[] = [];
    for await (const batch of platform.store.allBatches()) events.push(JSON.stringify(batch));
    const views = await dynamo.client.send(new ScanCommand({ TableName: dynamo.tables.views }));
    const haystacks = {
      events: events.join('\n'),
      views: JSON.stringify(views.Items),
      responses: replies.map((r) => `${JSON.stringify(r.headers)} ${r.text}`).join('\n'),
      console: consoleLines.join('\n'),
      logger: logged.join('\n'),
    };
    expect(haystacks.events).toContain('SecretValueSet');
    for (const [where, text] of Object.entries(haystacks)) expect(text.includes(CANARY), `${where} holds the secret value`).toBe(false);
  });
});
