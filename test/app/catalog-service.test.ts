import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../../shared/domain/errors.ts';
import { admin, ann, bob, catalogPlatform, createUsers } from './support/catalog-platform.ts';

let dynamo: EmbeddedDynamo;
let platform: ReturnType<typeof catalogPlatform>;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  platform = catalogPlatform(dynamo);
  await platform.services.identity.bootstrapAdmin('catalog-service-admin-token');
  await createUsers(platform.services);
});

afterAll(async () => {
  await dynamo?.close();
});

const ROLE_ARN = 'arn:aws:iam::123456789012:role/cassini-workloads/reader';
const noDescription = { description: null, access: 'owner' as const };

async function validationPaths(promise: Promise<unknown>): Promise<string[]> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).details.map((d) => d.path);
}

describe('CatalogService: secrets', () => {
  it('stores the value in the secret store and only metadata in events and views', async () => {
    // Act
    const { object, created } = await platform.services.catalog.putSecret(ann, { name: 'db-password', attributes: { description: 'prod', access: 'owner' } }, 'pa55-word-value');

    // Assess
    expect(created).toBe(true);
    expect(object).toEqual({ name: 'db-password', owner: 'ann', description: 'prod', access: 'owner', created_at: expect.any(String), updated_at: expect.any(String) });
    expect(await platform.secretStore.get({ owner: 'ann', name: 'db-password' })).toBe('pa55-word-value');
    const page = await platform.store.read('catalog-secret-ann/db-password', 0, 100);
    expect(page.events.map((e) => e.type)).toEqual(['SecretCreated']);
    expect(JSON.stringify(page.events)).not.toContain('pa55-word-value');
    expect(JSON.stringify(await platform.catalogViews.list('secret'))).not.toContain('pa55-word-value');
  });

  it('replaces the value on a second put, recording that it did', async () => {
    // Act
    const { created } = await platform.services.catalog.putSecret(ann, { name: 'db-password', attributes: { description: 'prod', access: 'owner' } }, 'new-value');

    // Assess
    expect(created).toBe(false);
    expect(await platform.secretStore.get({ owner: 'ann', name: 'db-password' })).toBe('new-value');
    const page = await platform.store.read('catalog-secret-ann/db-password', 0, 100);
    expect(page.events.map((e) => e.type)).toEqual(['SecretCreated', 'SecretValueSet']);
  });

  it('lets a member act for its group, and refuses other owners with 403 before storing anything', async () => {
    await platform.services.catalog.putSecret(ann, { name: 'shared-key', owner: 'ml', attributes: noDescription }, 'ml-value');
    expect((await platform.services.catalog.get(ann, 'secret', 'shared-key', 'ml')).owner).toBe('ml');

    await expect(platform.services.catalog.putSecret(bob, { name: 'intruder', owner: 'ml', attributes: noDescription }, 'bob-value')).rejects.toThrow(ForbiddenError);
    expect(await platform.secretStore.get({ owner: 'ml', name: 'intruder' })).toBeUndefined();
  });

  it("hides owner-only secrets from others, shows org ones, and lets only the owner's side delete", async () => {
    // Prepare
    await platform.services.catalog.putSecret(ann, { name: 'org-token', attributes: { description: null, access: 'org' } }, 'org-value');

    // Act / Assess
    await expect(platform.services.catalog.get(bob, 'secret', 'db-password', 'ann')).rejects.toThrow(NotFoundError);
    expect((await platform.services.catalog.get(bob, 'secret', 'org-token', 'ann')).access).toBe('org');
    expect((await platform.services.catalog.list(bob, 'secret')).map((s) => `${s.owner}/${s.name}`)).toEqual(['ann/org-token']);
    expect((await platform.services.catalog.list(ann, 'secret')).map((s) => `${s.owner}/${s.name}`)).toEqual(['ann/db-password', 'ann/org-token', 'ml/shared-key']);
    expect((await platform.services.catalog.list(admin, 'secret', 'ml')).map((s) => s.name)).toEqual(['shared-key']);
    await expect(platform.services.catalog.delete(bob, 'secret', 'org-token', 'ann')).rejects.toThrow(ForbiddenError);
    await expect(platform.services.catalog.delete(bob, 'secret', 'db-password', 'ann')).rejects.toThrow(NotFoundError);
  });

  it('deletes the event first and the value after, and a second delete is 404', async () => {
    // Act
    await platform.services.catalog.delete(ann, 'secret', 'org-token');

    // Assess
    expect(await platform.secretStore.get({ owner: 'ann', name: 'org-token' })).toBeUndefined();
    await expect(platform.services.catalog.get(ann, 'secret', 'org-token')).rejects.toThrow(NotFoundError);
    await expect(platform.services.catalog.delete(ann, 'secret', 'org-token')).rejects.toThrow(NotFoundError);
    expect((await platform.services.catalog.list(ann, 'secret')).map((s) => s.name)).not.toContain('org-token');
  });

  it('refuses an owner that is no user or group', async () => {
    expect(await validationPaths(platform.services.catalog.putSecret(admin, { name: 'x', owner: 'nobody', attributes: noDescription }, 'v'))).toEqual(['owner']);
  });
});

describe('CatalogService: IAM roles and images', () => {
  it('lets only admins register IAM roles, for existing users and groups', async () => {
    await expect(platform.services.catalog.putIamRole(ann, { name: 'reader', attributes: { role_arn: ROLE_ARN, allowed: ['ann'] } })).rejects.toThrow(ForbiddenError);
    expect(await validationPaths(platform.services.catalog.putIamRole(admin, { name: 'reader', attributes: { role_arn: ROLE_ARN, allowed: ['ml', 'ghost'] } }))).toEqual(['allowed[1]']);

    const { created } = await platform.services.catalog.putIamRole(admin, { name: 'reader', attributes: { role_arn: ROLE_ARN, allowed: ['ml'] } });
    expect(created).toBe(true);
    expect((await platform.services.catalog.list(ann, 'iam_role')).map((r) => r.name)).toEqual(['reader']);
    expect(await platform.services.catalog.list(bob, 'iam_role')).toEqual([]);
    await expect(platform.services.catalog.get(bob, 'iam_role', 'reader')).rejects.toThrow(NotFoundError);
    await expect(platform.services.catalog.delete(ann, 'iam_role', 'reader')).rejects.toThrow(ForbiddenError);
  });

  it('shows images to everyone and lets only their owner change them', async () => {
    await platform.services.catalog.putImage(ann, { name: 'torch', attributes: { uri: 'ghcr.io/acme/torch', tags: ['2.3', '2.4'], ide: null } });
    expect((await platform.services.catalog.get(bob, 'image', 'torch')).uri).toBe('ghcr.io/acme/torch');
    await expect(platform.services.catalog.putImage(bob, { name: 'torch', attributes: { uri: 'evil.example/torch', tags: [], ide: null } })).rejects.toThrow(ForbiddenError);
    const changed = await platform.services.catalog.putImage(admin, { name: 'torch', attributes: { uri: 'ghcr.io/acme/torch', tags: ['2.3', '2.4', '2.5'], ide: null } });
    expect(changed).toMatchObject({ created: false, object: { owner: 'ann', tags: ['2.3', '2.4', '2.5'] } });
  });
});

describe('AttachmentCheck through ResourceService.apply', () => {
  const job = (spec: Record<string, unknown>) => ({ type: 'job', spec: { command: 'true', ...spec } });

  it('accepts secrets, shared folders, a role and a catalog image the owner may use', async () => {
    // Prepare
    await platform.services.catalog.putSharedFolder(ann, { name: 'datasets', owner: 'ml', attributes: { access: 'owner', access_mode: 'ReadOnlyMany' } });

    // Act
    const { recipe } = await platform.services.resources.apply(
      ann,
      job({
        name: 'uses-catalog',
        secrets: [
          { name: 'db-password', attachment_type: 'environment_variable', location: 'DB_PASSWORD' },
          { name: 'shared-key', owner: 'ml', attachment_type: 'file', location: '/home/jovyan/.key' },
        ],
        shared_folders: [{ name: 'datasets', owner: 'acme/ml', path: '/home/jovyan/shared/datasets' }],
        iam_role: 'reader',
        image: 'torch:2.4',
      }),
      { createOnly: false },
    );

    // Assess
    expect(recipe.spec).toMatchObject({ iam_role: 'reader', image: 'torch:2.4' });
  });

  it('names every reference the owner cannot use, and records nothing', async () => {
    // Act
    const paths = await validationPaths(
      platform.services.resources.apply(
        bob,
        job({
          name: 'refused-catalog',
          secrets: [
            { name: 'db-password', owner: 'ann', attachment_type: 'environment_variable', location: 'A' },
            { name: 'missing', attachment_type: 'environment_variable', location: 'B' },
          ],
          shared_folders: [{ name: 'datasets', owner: 'ml', path: '/data' }],
          iam_role: 'reader',
          image: 'torch:9.9',
        }),
        { createOnly: false },
      ),
    );

    // Assess
    expect(paths).toEqual(['spec.secrets[0].name', 'spec.secrets[1].name', 'spec.shared_folders[0].name', 'spec.iam_role', 'spec.image']);
    await expect(platform.services.resources.getByName(bob, 'job', 'refused-catalog')).rejects.toThrow(NotFoundError);
  });

  it("checks the owner's rights, not the caller's: an admin applying for bob attaches only what bob may", async () => {
    const paths = await validationPaths(
      platform.services.resources.apply(admin, job({ name: 'for-bob', owner: 'bob', secrets: [{ name: 'db-password', owner: 'ann', attachment_type: 'file', location: '/home/jovyan/x' }] }), {
        createOnly: false,
      }),
    );
    expect(paths).toEqual(['spec.secrets[0].name']);
  });

  it('passes full image URIs and refuses unknown catalog images', async () => {
    await platform.services.resources.apply(bob, job({ name: 'full-uri', image: 'docker.io/library/python:3.12' }), { createOnly: false });
    expect(await validationPaths(platform.services.resources.apply(bob, job({ name: 'short-name', image: 'python:3.12' }), { createOnly: false }))).toEqual(['spec.image']);
  });
});
