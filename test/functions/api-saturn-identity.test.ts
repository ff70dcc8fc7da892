/**
 * Saturn's organization and user routes through the API handler, in the shapes Saturn's client
 * (saturncloud/saturn-client, saturn_client/core.py) reads: each test names the client function
 * whose reading it asserts. Over an embedded DynamoDB whose appends are projected at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import type { ApiHandler } from '../../infra/local/http-adapter.ts';
import { createApi } from '../../functions/api/create-api.ts';
import { organizationNamed } from '../../shared/domain/identity/organization.ts';
import type { User } from '../../shared/domain/identity/principal-decider.ts';
import { projectedPlatform } from '../app/support/projected-platform.ts';
import { callApi, sendWithToken, type ApiReply } from './support/api-event.ts';

const ADMIN_TOKEN = 'saturn-identity-admin-token';
const admin: User = { username: 'admin', email: null, groups: [], admin: true };
const USERS: User[] = [
  { username: 'ann', email: 'ann@example.com', groups: ['ml'], admin: false },
  { username: 'bob', email: null, groups: ['data', 'ml'], admin: false },
  { username: 'cyd', email: null, groups: [], admin: false },
  { username: 'dee', email: null, groups: [], admin: false },
];

let dynamo: EmbeddedDynamo;
let platform: ReturnType<typeof projectedPlatform>;
let handler: ApiHandler;
const tokens: Record<string, string> = { admin: ADMIN_TOKEN };

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  platform = projectedPlatform(dynamo);
  await platform.services.identity.bootstrapAdmin(ADMIN_TOKEN);
  for (const user of USERS) {
    await platform.services.identity.createUser(admin, user);
    tokens[user.username] = (await platform.services.identity.issueToken(admin, { kind: 'directory' }, user.username)).token;
  }
  handler = createApi({ services: { ...platform.services, organization: organizationNamed('acme'), version: '0.0.0-test' } }) as unknown as ApiHandler;
});

afterAll(async () => {
  await dynamo?.close();
});

function send(as: string, method: string, path: string, body?: unknown): Promise<ApiReply> {
  return sendWithToken(handler, tokens[as], method, path, body);
}

/** `paginate` in saturn_client/core.py: the field's list, then `next_key` as a query parameter until it is null. */
async function paginate(as: string, path: string, field: string): Promise<unknown[]> {
  const items: unknown[] = [];
  let next: string | null = null;
  let pages = 0;
  do {
    const url = new URL(path, 'http://x');
    if (next !== null) url.searchParams.set('next_key', next);
    const reply = await send(as, 'GET', url.pathname + url.search);
    expect(reply.status, reply.text).toBe(200);
    const body = reply.json as Record<string, unknown>;
    expect(body).toHaveProperty('next_key');
    items.push(...(body[field] as unknown[]));
    next = body.next_key as string | null;
    expect(++pages, 'paging ends').toBeLessThan(20);
  } while (next);
  return items;
}

describe('organizations (one per installation)', () => {
  it('answers GET /api/orgs as `SaturnConnection.primary_org` reads it: the one organization, is_primary', async () => {
    const reply = await send('ann', 'GET', '/api/orgs');
    expect(reply.status).toBe(200);
    const { orgs } = reply.json as { orgs: Array<Record<string, unknown>> };
    expect(orgs).toEqual([{ id: 'acme', name: 'acme', is_primary: true, description: expect.any(String) }]);
    // create_shared_folder builds owner names from it: f"{primary_org['name']}/{current_user['username']}".
    expect(orgs.filter((o) => o.is_primary)).toHaveLength(1);
    expect((await send('ann', 'GET', '/api/orgs?all_orgs=true')).json).toEqual(reply.json);
  });

  it('answers GET /api/orgs/{id} as `SaturnConnection.get_organization` reads it, and 404 for any other id', async () => {
    expect((await send('ann', 'GET', '/api/orgs/acme')).json).toMatchObject({ id: 'acme', name: 'acme' });
    const other = await send('ann', 'GET', '/api/orgs/cassini');
    expect(other.status).toBe(404);
    expect(other.json).toMatchObject({ code: 'not_found', message: expect.stringContaining('acme') });
    expect((await send('admin', 'GET', '/api/orgs/other/owners')).status).toBe(404);
    expect((await send('admin', 'GET', '/api/users?org_id=other')).status).toBe(404);
  });

  it("answers GET /api/orgs/{id}/owners as `SaturnConnection.get_owners` pages it: the caller and their groups", async () => {
    const owners = await paginate('bob', '/api/orgs/acme/owners?all_users=False&all_groups=False&users_only=False&groups_only=False&details=False', 'owners');
    expect(owners).toEqual([
      { id: 'bob', name: 'bob', type: 'user', org_id: 'acme' },
      { id: 'data', name: 'data', type: 'group', org_id: 'acme' },
      { id: 'ml', name: 'ml', type: 'group', org_id: 'acme' },
    ]);
    expect((await paginate('bob', '/api/orgs/acme/owners?users_only=True', 'owners')).map((o) => (o as { name: string }).name)).toEqual(['bob']);
    expect((await paginate('bob', '/api/orgs/acme/owners?groups_only=True', 'owners')).map((o) => (o as { name: string }).name)).toEqual(['data', 'ml']);
  });

  it('pages every user and group for an admin (all_users, all_groups, as stop_all_resources_in_org asks), and refuses that to others', async () => {
    const everyone = await paginate('admin', '/api/orgs/acme/owners?all_users=True&all_groups=True&page_size=2', 'owners');
    expect(everyone.map((o) => `${(o as { type: string }).type}:${(o as { name: string }).name}`)).toEqual([
      'user:admin', 'user:ann', 'user:bob', 'user:cyd', 'group:data', 'user:dee', 'group:ml',
    ]);
    const groups = await paginate('admin', '/api/orgs/acme/owners?all_groups=True&groups_only=True&page_size=1', 'owners');
    expect(groups.map((o) => (o as { name: string }).name)).toEqual(['data', 'ml']);

    const refused = await send('ann', 'GET', '/api/orgs/acme/owners?all_users=True');
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ code: 'forbidden' });
    const bad = await send('admin', 'GET', '/api/orgs/acme/owners?all_users=maybe');
    expect(bad.status).toBe(400);
    expect((bad.json as { details: Array<{ path: string }> }).details.map((d) => d.path)).toEqual(['query.all_users']);
  });

  it("lists the organization's members for an admin only", async () => {
    const members = await paginate('admin', '/api/orgs/acme/members?page_size=3', 'members');
    expect(members.map((m) => (m as { username: string }).username)).toEqual(['admin', 'ann', 'bob', 'cyd', 'dee']);
    expect((await send('ann', 'GET', '/api/orgs/acme/members')).status).toBe(403);
  });
});

describe('users', () => {
  it('answers GET /api/users as `SaturnConnection.get_all_users` pages it (page_size, next_key), for admins only', async () => {
    const users = await paginate('admin', '/api/users?page_size=2&details=False&org_id=acme', 'users');
    expect(users.map((u) => (u as { username: string }).username)).toEqual(['admin', 'ann', 'bob', 'cyd', 'dee']);
    expect(users[1]).toEqual({ id: 'ann', username: 'ann', email: 'ann@example.com', full_name: null, groups: ['ml'], admin: false, locked: false });
    const refused = await send('ann', 'GET', '/api/users');
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ code: 'forbidden' });
  });

  it('creates a user with the body `SaturnConnection.create_user` sends (send_reset_email), answering the user as get_user shows it', async () => {
    const created = await send('admin', 'POST', '/api/users', { username: 'fay', email: 'fay@example.com', send_reset_email: true });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toEqual({ id: 'fay', username: 'fay', email: 'fay@example.com', full_name: null, groups: [], admin: false, locked: false });
  });

  it('answers GET /api/users/{id} as `SaturnConnection.get_user` reads it: to an admin or the user, 404 to anyone else', async () => {
    const byAdmin = await send('admin', 'GET', '/api/users/bob');
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.json).toEqual({ id: 'bob', username: 'bob', email: null, full_name: null, groups: ['data', 'ml'], admin: false, locked: false, limits_id: null });
    expect((await send('bob', 'GET', '/api/users/bob')).json).toEqual(byAdmin.json);
    expect((await send('ann', 'GET', '/api/users/bob')).status).toBe(404);
    expect((await send('admin', 'GET', '/api/users/nobody')).status).toBe(404);
  });

  it('changes a user with the body `SaturnConnection.update_user` sends (admin and locked always present)', async () => {
    const reply = await send('admin', 'PATCH', '/api/users/cyd', { email: 'cyd@example.com', full_name: 'Cyd Charisse', admin: false, locked: false });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json).toEqual({ id: 'cyd', username: 'cyd', email: 'cyd@example.com', full_name: 'Cyd Charisse', groups: [], admin: false, locked: false, limits_id: null });
    const grouped = await send('admin', 'PATCH', '/api/users/cyd', { groups: ['ops', 'ml'], admin: false, locked: false });
    expect(grouped.json).toMatchObject({ groups: ['ml', 'ops'], full_name: 'Cyd Charisse' });
    expect((await send('cyd', 'GET', '/api/user')).json).toMatchObject({ groups: ['ml', 'ops'] });
  });

  it('refuses a bad PATCH naming the field, and changes nothing', async () => {
    const before = (await send('admin', 'GET', '/api/users/dee')).json;
    const renamed = await send('admin', 'PATCH', '/api/users/dee', { username: 'dora', email: 'dee@example.com' });
    expect(renamed.status).toBe(400);
    expect(renamed.json).toMatchObject({ code: 'validation_error', details: [{ path: 'username', message: expect.stringContaining('dee') }] });
    const unknown = await send('admin', 'PATCH', '/api/users/dee', { email: 'not an address', nickname: 'D' });
    expect(unknown.status).toBe(400);
    expect((unknown.json as { details: Array<{ path: string }> }).details.map((d) => d.path).sort()).toEqual(['email', 'nickname']);
    expect((await send('admin', 'GET', '/api/users/dee')).json).toEqual(before);
    expect((await send('ann', 'PATCH', '/api/users/dee', { admin: true, locked: false })).status).toBe(403);
    const self = await send('admin', 'PATCH', '/api/users/admin', { full_name: 'The Admin', admin: false, locked: false });
    expect(self.status).toBe(409);
    expect(self.json).toMatchObject({ code: 'conflict', message: expect.stringContaining('admin role') });
    expect((await send('admin', 'PATCH', '/api/users/nobody', { admin: false, locked: false })).status).toBe(404);
  });

  it("refuses a locked user's tokens (and so the proxy's sessions, which hold a token) until an admin unlocks them", async () => {
    // Prepare
    expect((await send('dee', 'GET', '/api/user')).status).toBe(200);

    // Act
    const locked = await send('admin', 'PATCH', '/api/users/dee', { admin: false, locked: true });

    // Assess
    expect(locked.json).toMatchObject({ locked: true });
    const refused = await send('dee', 'GET', '/api/user');
    expect(refused.status).toBe(401);
    expect(refused.json).toMatchObject({ code: 'unauthenticated', message: expect.stringContaining('locked') });
    // The local proxy admits a request (header, ?token= or session cookie) only through this check.
    await expect(platform.services.identity.authenticate(tokens.dee!)).rejects.toThrow(/locked/);
    await send('admin', 'PATCH', '/api/users/dee', { admin: false, locked: false });
    expect((await send('dee', 'GET', '/api/user')).status).toBe(200);
  });

  it('refuses a locked or deleted directory user (a Cognito sign-in), and signing in again does not unlock or recreate them', async () => {
    const claims = { 'cognito:username': 'eve', 'cognito:groups': ['ml'], email: 'eve@example.com' };
    const signedIn = () => callApi(handler, { method: 'GET', path: '/api/user', claims });
    expect((await signedIn()).status).toBe(200);
    await send('admin', 'PATCH', '/api/users/eve', { admin: false, locked: true });
    expect((await signedIn()).status).toBe(401);
    expect((await signedIn()).status).toBe(401);
    expect((await send('admin', 'GET', '/api/users/eve')).json).toMatchObject({ locked: true, groups: ['ml'] });
    // Deleted, the directory user is refused too, and not recreated by signing in.
    expect((await send('admin', 'DELETE', '/api/users/eve')).status).toBe(204);
    const gone = await signedIn();
    expect(gone.status).toBe(401);
    expect(gone.json).toMatchObject({ code: 'unauthenticated', message: expect.stringContaining('deleted') });
    expect((await send('admin', 'GET', '/api/users/eve')).status).toBe(404);
  });

  it('answers DELETE /api/users/{id} (`SaturnConnection.delete_user`) with 409 naming what the user still owns, then deletes and revokes', async () => {
    // Prepare
    expect((await send('bob', 'PUT', '/api/secrets/bobs-key', { value: 'bob-secret-value' })).status).toBe(201);

    // Act
    const refused = await send('admin', 'DELETE', '/api/users/bob');

    // Assess
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ code: 'conflict', message: expect.stringContaining('secret bobs-key') });
    expect((await send('bob', 'GET', '/api/user')).status).toBe(200);
    expect((await send('bob', 'DELETE', '/api/secrets/bobs-key')).status).toBe(204);
    expect((await send('ann', 'DELETE', '/api/users/bob')).status).toBe(403);

    const deleted = await send('admin', 'DELETE', '/api/users/bob');
    expect(deleted.status, deleted.text).toBe(204);
    expect((await send('bob', 'GET', '/api/user')).status).toBe(401);
    expect((await send('admin', 'GET', '/api/users/bob')).status).toBe(404);
    expect((await paginate('admin', '/api/users', 'users')).map((u) => (u as { username: string }).username)).not.toContain('bob');
    const reused = await send('admin', 'POST', '/api/users', { username: 'bob' });
    expect(reused.status).toBe(409);
    expect((await send('admin', 'DELETE', '/api/users/bob')).status).toBe(204);
    expect((await send('admin', 'DELETE', '/api/users/admin')).status).toBe(409);
  });
});

describe('/openapi.json', () => {
  it("lists every route Saturn's client uses that this issue added, with its method", async () => {
    const doc = (await callApi(handler, { method: 'GET', path: '/openapi.json' })).json as { paths: Record<string, Record<string, unknown>> };
    const routes = [
      'get /api/orgs', 'get /api/orgs/{id}', 'get /api/orgs/{id}/members', 'get /api/orgs/{id}/owners',
      'get /api/users', 'get /api/users/{id}', 'patch /api/users/{id}', 'delete /api/users/{id}',
      'post /api/shared_folders', 'get /api/shared_folders', 'get /api/shared_folders/{name}', 'delete /api/shared_folders/{name}',
      'post /api/service_accounts', 'put /api/service_accounts/{id}/associate/{identity_type}/{identity_id}',
      'get /api/pod/namespace/{namespace}/name/{pod}/runtimesummary',
    ];
    for (const route of routes) {
      const [method, path] = route.split(' ') as [string, string];
      expect(doc.paths[path]?.[method], route).toBeDefined();
    }
    const recipes = JSON.stringify(doc.paths['/api/recipes']);
    expect(recipes).toContain('as_template');
    expect(recipes).toContain('enforce_unknown');
  });
});
