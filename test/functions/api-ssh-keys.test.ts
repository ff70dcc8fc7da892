/**
 * `/api/user/ssh_keys` and `/api/users/{username}/ssh_keys` through the API handler over an
 * embedded DynamoDB: registering, listing and removing keys, what is refused, and what one user
 * cannot do to another's keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utils } from 'ssh2';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import { createApi } from '../../functions/api/create-api.ts';
import type { ApiHandler } from '../../infra/local/http-adapter.ts';
import { callWithToken } from './support/api-event.ts';
import { dynamoServices } from '../app/support/dynamo-services.ts';

const ADMIN_TOKEN = 'ssh-keys-test-admin-token';

let dynamo: EmbeddedDynamo;
let handler: ApiHandler;
let services: ReturnType<typeof dynamoServices>['services'];
const tokens: Record<string, string> = {};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are read field by field against the contract
type Body = any;

function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Body; text: string }> {
  return callWithToken(handler, method, path, token, body);
}

const newKey = () => utils.generateKeyPairSync('ed25519', { comment: 'someone@somewhere' }).public;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  services = dynamoServices(dynamo).services;
  handler = createApi({ services: { ...services, version: '0.0.0-test' } }) as unknown as ApiHandler;
  tokens.admin = await services.identity.bootstrapAdmin(ADMIN_TOKEN);
  for (const username of ['ann', 'bob']) {
    expect((await call('POST', '/api/users', ADMIN_TOKEN, { username })).status).toBe(201);
    tokens[username] = (await call('POST', `/api/users/${username}/tokens`, ADMIN_TOKEN, {})).body.token;
  }
});

afterAll(async () => {
  await dynamo?.close();
});

describe('SSH keys API', () => {
  it('registers, lists with name and fingerprint, and removes a key; a retried POST adds nothing', async () => {
    // Prepare
    const publicKey = newKey();

    // Act
    const added = await call('POST', '/api/user/ssh_keys', tokens.ann!, { name: 'laptop', public_key: publicKey });
    const again = await call('POST', '/api/user/ssh_keys', tokens.ann!, { name: 'laptop', public_key: publicKey });
    const listed = await call('GET', '/api/user/ssh_keys', tokens.ann!);
    const removed = await call('DELETE', `/api/user/ssh_keys/${added.body.id}`, tokens.ann!);
    const after = await call('GET', '/api/user/ssh_keys', tokens.ann!);

    // Assess
    expect(added.status, added.text).toBe(201);
    expect(added.body).toMatchObject({ name: 'laptop', fingerprint: expect.stringMatching(/^SHA256:[A-Za-z0-9+/]{43}$/), public_key: publicKey.split(' ').slice(0, 2).join(' ') });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(added.body.id);
    expect(listed.body.ssh_keys).toEqual([added.body]);
    expect(removed.status).toBe(204);
    expect(after.body.ssh_keys).toEqual([]);
    expect(await services.sshKeys.ownerOf(publicKey.split(' ')[1]!)).toBeUndefined();
  });

  it('refuses an invalid key with 400 naming public_key, and changes nothing', async () => {
    const cases = [
      { name: 'bad', public_key: 'ssh-ed25519 AAAA' },
      { name: 'weak', public_key: utils.generateKeyPairSync('rsa', { bits: 2048 }).public },
      { name: 'private', public_key: utils.generateKeyPairSync('ed25519').private },
    ];
    for (const body of cases) {
      const reply = await call('POST', '/api/user/ssh_keys', tokens.bob!, body);
      expect(reply.status, reply.text).toBe(400);
      expect(reply.body.code).toBe('validation_error');
      expect(reply.body.details.map((d: Body) => d.path)).toEqual(['public_key']);
    }
    const missingName = await call('POST', '/api/user/ssh_keys', tokens.bob!, { public_key: newKey(), extra: 1 });
    expect(missingName.status).toBe(400);
    expect(missingName.body.details.map((d: Body) => d.path).sort()).toEqual(['extra', 'name']);
    expect((await call('GET', '/api/user/ssh_keys', tokens.bob!)).body.ssh_keys).toEqual([]);
  });

  it("refuses a key another user registered (public keys are public): the first owner keeps it, unnamed", async () => {
    // Prepare: ann's key, which bob copies from somewhere.
    const annKey = newKey();
    expect((await call('POST', '/api/user/ssh_keys', tokens.ann!, { name: 'desk', public_key: annKey })).status).toBe(201);

    // Act
    const stolen = await call('POST', '/api/user/ssh_keys', tokens.bob!, { name: 'mine', public_key: annKey });

    // Assess
    expect(stolen.status).toBe(409);
    expect(stolen.body.message).not.toContain('ann');
    expect((await services.sshKeys.ownerOf(annKey.split(' ')[1]!))?.username).toBe('ann');
  });

  it("hides another user's keys from a non-admin (404) and lets an admin manage them", async () => {
    // Prepare
    const annKey = newKey();
    const added = await call('POST', '/api/users/ann/ssh_keys', ADMIN_TOKEN, { name: 'added-by-admin', public_key: annKey });
    expect(added.status, added.text).toBe(201);

    // Act
    const bobLists = await call('GET', '/api/users/ann/ssh_keys', tokens.bob!);
    const bobDeletes = await call('DELETE', `/api/users/ann/ssh_keys/${added.body.id}`, tokens.bob!);
    const bobAdds = await call('POST', '/api/users/ann/ssh_keys', tokens.bob!, { name: 'planted', public_key: newKey() });
    const bobDeletesByOwnPath = await call('DELETE', `/api/user/ssh_keys/${added.body.id}`, tokens.bob!);
    const annLists = await call('GET', '/api/user/ssh_keys', tokens.ann!);
    const adminRemoves = await call('DELETE', `/api/users/ann/ssh_keys/${added.body.id}`, ADMIN_TOKEN);

    // Assess
    expect([bobLists.status, bobDeletes.status, bobAdds.status, bobDeletesByOwnPath.status]).toEqual([404, 404, 404, 404]);
    expect(annLists.body.ssh_keys.map((k: Body) => k.name)).toContain('added-by-admin');
    expect(annLists.body.ssh_keys.map((k: Body) => k.name)).not.toContain('planted');
    expect(adminRemoves.status).toBe(204);
  });

  it('refuses a second key under a name already used, and keys for a user that does not exist', async () => {
    expect((await call('POST', '/api/user/ssh_keys', tokens.bob!, { name: 'twin', public_key: newKey() })).status).toBe(201);
    expect((await call('POST', '/api/user/ssh_keys', tokens.bob!, { name: 'twin', public_key: newKey() })).status).toBe(409);
    expect((await call('POST', '/api/users/nobody/ssh_keys', ADMIN_TOKEN, { name: 'x', public_key: newKey() })).status).toBe(404);
  });

  it("refuses a task's SATURN_TOKEN: code in a task cannot plant a key to log in with", async () => {
    const task = await services.identity.issueTaskToken('ann', 'task-1');
    const reply = await call('POST', '/api/user/ssh_keys', task.token, { name: 'planted', public_key: newKey() });
    expect(reply.status).toBe(403);
    expect(reply.body.code).toBe('forbidden');
  });
});

describe('start_ssh outside workspaces', () => {
  // Saturn's recipe schema has start_ssh on workspaces only (its client's `--debug` flag, not the
  // recipe, is what asks for SSH on a deployment or job); here only workspaces are SSH targets.
  it('refuses start_ssh on a deployment or job with 400 naming spec.start_ssh, and creates nothing', async () => {
    for (const type of ['deployment', 'job']) {
      const recipe = { type, spec: { name: `ssh-${type}`, command: 'sleep 1', start_ssh: true } };
      const refused = await call('PUT', '/api/recipes', tokens.ann!, recipe);
      expect(refused.status, refused.text).toBe(400);
      expect(refused.body.details.map((d: Body) => d.path)).toEqual(['spec.start_ssh']);
      expect((await call('GET', `/api/recipes/${type}/ssh-${type}`, tokens.ann!)).status).toBe(404);
    }
  });
});
