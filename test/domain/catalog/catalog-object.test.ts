import { describe, expect, it } from 'vitest';
import { catalogStreamId, imageReference, mayAttach, type CatalogObject } from '../../../shared/domain/catalog/catalog-object.ts';
import { catalogName, roleArn } from '../../../shared/domain/catalog/catalog-fields.ts';
import { catalogKeyOf } from '../../../shared/app/consumers/catalog-projector.ts';

const times = { created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' };
const secret = (access: 'owner' | 'org'): CatalogObject => ({ kind: 'secret', owner: 'ml', name: 's', attributes: { description: null, access }, ...times });
const role: CatalogObject = { kind: 'iam_role', owner: 'admin', name: 'r', attributes: { role_arn: 'arn:aws:iam::123456789012:role/r', allowed: ['ml', 'bob'] }, ...times };

describe('catalog names', () => {
  it('accepts letters, digits, "_" and "-", and nothing that could be a path or a registry', () => {
    for (const ok of ['db-password', 'AWS_KEY', 'a', 'x'.repeat(128)]) expect(catalogName.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['', '..', '.hidden', 'a/b', 'a.b', 'a:b', '-a', 'x'.repeat(129), 'a\0b']) expect(catalogName.safeParse(bad).success, bad).toBe(false);
  });

  it('keys per-owner objects by owner and name, platform-wide ones by name, and reads the key back', () => {
    expect(catalogStreamId({ kind: 'secret', owner: 'ann', name: 'db' })).toBe('catalog-secret-ann/db');
    expect(catalogStreamId({ kind: 'image', owner: 'ann', name: 'torch' })).toBe('catalog-image-torch');
    expect(catalogKeyOf('catalog-shared_folder-ml/data')).toEqual({ kind: 'shared_folder', owner: 'ml', name: 'data' });
    expect(catalogKeyOf('catalog-iam_role-reader')).toEqual({ kind: 'iam_role', owner: '', name: 'reader' });
    expect(catalogKeyOf('resource-abc')).toBeUndefined();
  });
});

describe('roleArn', () => {
  it('accepts IAM role ARNs of any partition under the workload path, with or without a deeper path', () => {
    for (const ok of ['arn:aws:iam::123456789012:role/cassini-workloads/reader', 'arn:aws-us-gov:iam::123456789012:role/cassini-workloads/team/reader', 'arn:aws-cn:iam::123456789012:role/cassini-workloads/a+b=c,d.e@f-g_h']) {
      expect(roleArn.safeParse(ok).success, ok).toBe(true);
    }
  });

  it('refuses roles outside the workload path, which the platform may not pass to tasks', () => {
    for (const bad of ['arn:aws:iam::123456789012:role/reader', 'arn:aws:iam::123456789012:role/admin/cassini-workloads/reader', 'arn:aws:iam::123456789012:role/cassini-workloads-x/reader']) {
      expect(roleArn.safeParse(bad).success, bad).toBe(false);
    }
    expect(roleArn.safeParse('arn:aws:iam::123456789012:role/reader').error?.issues[0]?.message).toMatch(/under the IAM path \/cassini-workloads\//);
  });

  it('refuses other ARNs and malformed accounts', () => {
    for (const bad of ['arn:aws:iam::12345678901:role/r', 'arn:aws:iam::123456789012:user/r', 'arn:aws:s3:::bucket', 'arn:aws:iam::123456789012:role/', 'arn:azure:iam::123456789012:role/r']) {
      expect(roleArn.safeParse(bad).success, bad).toBe(false);
    }
  });
});

describe('mayAttach', () => {
  it('lets anyone attach org objects, and owner objects only their owner and its members', () => {
    expect(mayAttach(secret('org'), { name: 'bob', groups: [] })).toBe(true);
    expect(mayAttach(secret('owner'), { name: 'ml', groups: [] })).toBe(true);
    expect(mayAttach(secret('owner'), { name: 'ann', groups: ['ml'] })).toBe(true);
    expect(mayAttach(secret('owner'), { name: 'bob', groups: ['data'] })).toBe(false);
  });

  it('lets the users and groups an IAM role allows attach it', () => {
    expect(mayAttach(role, { name: 'bob', groups: [] })).toBe(true);
    expect(mayAttach(role, { name: 'ann', groups: ['ml'] })).toBe(true);
    expect(mayAttach(role, { name: 'eve', groups: ['data'] })).toBe(false);
  });
});

describe('imageReference', () => {
  it('passes full URIs and reads anything else as a catalog name with an optional tag', () => {
    expect(imageReference('docker.io/library/python:3.12')).toEqual({ kind: 'uri' });
    expect(imageReference('saturncloud/saturn-python:2024.04.01')).toEqual({ kind: 'uri' });
    expect(imageReference('registry.example.com:5000')).toEqual({ kind: 'uri' });
    expect(imageReference('pytorch:2.3')).toEqual({ kind: 'catalog', name: 'pytorch', tag: '2.3' });
    expect(imageReference('pytorch')).toEqual({ kind: 'catalog', name: 'pytorch', tag: undefined });
  });
});
