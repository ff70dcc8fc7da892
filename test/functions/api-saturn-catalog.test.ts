/**
 * Shared folders and service accounts in the shapes Saturn's client (saturn_client/core.py)
 * sends and reads, through the API handler over an embedded DynamoDB projected at once; each
 * test names the client function whose reading it asserts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import type { ApiHandler } from '../../infra/local/http-adapter.ts';
import { organizationNamed } from '../../shared/domain/identity/organization.ts';
import { projectedApi } from './support/projected-api.ts';
import { sendWithToken, type ApiReply } from './support/api-event.ts';

const ADMIN_TOKEN = 'saturn-catalog-admin-token';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/cassini-workloads/reader';

let dynamo: EmbeddedDynamo;
let handler: ApiHandler;
const tokens: Record<string, string> = { admin: ADMIN_TOKEN };

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  const api = await projectedApi(dynamo, ADMIN_TOKEN, { organization: organizationNamed('acme') });
  Object.assign(tokens, api.tokens);
  handler = api.handler;
});

afterAll(async () => {
  await dynamo?.close();
});

function send(as: string, method: string, path: string, body?: unknown): Promise<ApiReply> {
  return sendWithToken(handler, tokens[as], method, path, body);
}

/** The body `SaturnConnection.create_shared_folder` posts (owner from `primary_org` and `current_user`). */
function clientFolder(name: string, owner = 'acme/ann', access = 'owner') {
  return { owner_name: owner, name, access, access_mode: 'ReadWriteMany', is_external: false, disk_space: '100Gi' };
}

describe("shared folders in Saturn's shapes", () => {
  it('creates with the body `SaturnConnection.create_shared_folder` sends, and answers the folder with its id', async () => {
    const created = await send('ann', 'POST', '/api/shared_folders', clientFolder('datasets'));
    expect(created.status, created.text).toBe(201);
    expect(created.json).toEqual({
      id: 'ann.datasets',
      name: 'datasets',
      owner: 'ann',
      owner_name: 'acme/ann',
      access: 'owner',
      access_mode: 'ReadWriteMany',
      is_external: false,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    // The same folder through today's route: one object.
    expect((await send('ann', 'GET', '/api/shared_folders/datasets')).json).toEqual(created.json);
  });

  it('refuses a second create of the same name (409), an external folder and unknown fields (400, naming them), changing nothing', async () => {
    expect((await send('ann', 'POST', '/api/shared_folders', clientFolder('datasets', 'acme/ann', 'org'))).status).toBe(409);
    expect((await send('ann', 'GET', '/api/shared_folders/ann.datasets')).json).toMatchObject({ access: 'owner' });
    const bad = await send('ann', 'POST', '/api/shared_folders', { ...clientFolder('elsewhere'), is_external: true, disk_space: 'lots', size: 1 });
    expect(bad.status).toBe(400);
    expect((bad.json as { details: Array<{ path: string }> }).details.map((d) => d.path).sort()).toEqual(['disk_space', 'is_external', 'size']);
    expect((await send('ann', 'GET', '/api/shared_folders/ann.elsewhere')).status).toBe(404);
    const foreign = await send('ann', 'POST', '/api/shared_folders', clientFolder('mine-now', 'acme/bob'));
    expect(foreign.status).toBe(403);
  });

  it('answers GET /api/shared_folders/{id} as `SaturnConnection.get_shared_folder` reads it, 404 to who may not see it', async () => {
    expect((await send('ann', 'GET', '/api/shared_folders/ann.datasets')).json).toMatchObject({ id: 'ann.datasets', name: 'datasets' });
    expect((await send('bob', 'GET', '/api/shared_folders/ann.datasets')).status).toBe(404);
    expect((await send('admin', 'GET', '/api/shared_folders/ann.datasets')).status).toBe(200);
    expect((await send('ann', 'GET', '/api/shared_folders/ann.Not%20a%20name')).status).toBe(400);
  });

  it('pages GET /api/shared_folders as `SaturnConnection.get_all_shared_folders` does (key shared_folders, next_key, org_id)', async () => {
    for (const name of ['a-one', 'b-two', 'c-three']) expect((await send('ann', 'POST', '/api/shared_folders', clientFolder(name))).status).toBe(201);
    const ids: string[] = [];
    let next: string | null = null;
    do {
      const reply = await send('ann', 'GET', `/api/shared_folders?org_id=acme&page_size=2${next ? `&next_key=${encodeURIComponent(next)}` : ''}`);
      expect(reply.status, reply.text).toBe(200);
      const body = reply.json as { shared_folders: Array<{ id: string }>; next_key: string | null };
      ids.push(...body.shared_folders.map((f) => f.id));
      next = body.next_key;
    } while (next);
    expect(ids).toEqual(['ann.a-one', 'ann.b-two', 'ann.c-three', 'ann.datasets']);
    expect((await send('ann', 'GET', '/api/shared_folders?org_id=other')).status).toBe(404);
    expect((await send('bob', 'GET', '/api/shared_folders')).json).toEqual({ shared_folders: [], next_key: null });
  });

  it('deletes by id as `SaturnConnection.delete_shared_folder` does; another user cannot', async () => {
    expect((await send('bob', 'DELETE', '/api/shared_folders/ann.a-one')).status).toBe(404);
    expect((await send('ann', 'DELETE', '/api/shared_folders/ann.a-one')).status).toBe(204);
    expect((await send('ann', 'GET', '/api/shared_folders/ann.a-one')).status).toBe(404);
  });
});

describe('service accounts (IAM roles, one object with two views)', () => {
  it('creates with the body `SaturnConnection.create_service_account` sends, which reads `service_account`', async () => {
    const created = await send('admin', 'POST', '/api/service_accounts', { name: 'reader', cloud_role: ROLE_ARN, auto_associate: false });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toEqual({
      service_account: { id: 'reader', name: 'reader', cloud_role: ROLE_ARN, auto_associate: false, associations: [], created_at: expect.any(String), updated_at: expect.any(String) },
    });
    expect((await send('admin', 'GET', '/api/iam_roles/reader')).json).toMatchObject({ name: 'reader', role_arn: ROLE_ARN, allowed: [] });
    expect((await send('admin', 'POST', '/api/service_accounts', { name: 'reader', cloud_role: ROLE_ARN, auto_associate: false })).status).toBe(409);
  });

  it('is admin only, and refuses a role outside the workload path or auto_associate, naming the field', async () => {
    expect((await send('ann', 'POST', '/api/service_accounts', { name: 'mine', cloud_role: ROLE_ARN, auto_associate: false })).status).toBe(403);
    const bad = await send('admin', 'POST', '/api/service_accounts', { name: 'admin-role', cloud_role: 'arn:aws:iam::123456789012:role/Admin', auto_associate: true });
    expect(bad.status).toBe(400);
    expect((bad.json as { details: Array<{ path: string }> }).details.map((d) => d.path).sort()).toEqual(['auto_associate', 'cloud_role']);
    expect((await send('admin', 'GET', '/api/iam_roles/admin-role')).status).toBe(404);
  });

  it('associates a user or group as `SaturnConnection.associate_service_account` does, which lets them attach the role', async () => {
    const user = await send('admin', 'PUT', '/api/service_accounts/reader/associate/user/ann');
    expect(user.status, user.text).toBe(200);
    expect((user.json as { service_account: { associations: string[] } }).service_account.associations).toEqual(['ann']);
    const group = await send('admin', 'PUT', '/api/service_accounts/reader/associate/group/data');
    expect((group.json as { service_account: { associations: string[] } }).service_account.associations).toEqual(['ann', 'data']);
    expect((await send('admin', 'PUT', '/api/service_accounts/reader/associate/user/ann')).status).toBe(200);
    expect((await send('admin', 'GET', '/api/iam_roles/reader')).json).toMatchObject({ allowed: ['ann', 'data'] });
    // bob is in group data: the role is now his to see.
    expect((await send('bob', 'GET', '/api/iam_roles/reader')).status).toBe(200);
  });

  it('refuses associations by others than admins, of unknown identities and of the wrong type', async () => {
    expect((await send('ann', 'PUT', '/api/service_accounts/reader/associate/user/ann')).status).toBe(403);
    expect((await send('admin', 'PUT', '/api/service_accounts/reader/associate/group/ann')).status).toBe(404);
    expect((await send('admin', 'PUT', '/api/service_accounts/reader/associate/user/nobody')).status).toBe(404);
    expect((await send('admin', 'PUT', '/api/service_accounts/nothing/associate/user/ann')).status).toBe(404);
    const badType = await send('admin', 'PUT', '/api/service_accounts/reader/associate/robot/ann');
    expect(badType.status).toBe(400);
    expect(badType.json).toMatchObject({ details: [{ path: 'path.identity_type' }] });
    expect((await send('admin', 'GET', '/api/iam_roles/reader')).json).toMatchObject({ allowed: ['ann', 'data'] });
  });
});
