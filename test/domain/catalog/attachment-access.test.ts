/**
 * The one rule of "may this owner use this attachment now" (issue 19, item 1), applied at apply
 * and again whenever a task is planned or launched: it is decided on the object as it is now,
 * so narrowing, deleting or re-registering an object takes effect for resources applied before.
 */
import { describe, expect, it } from 'vitest';
import {
  accessLostReason,
  attachmentIssues,
  attachmentReferences,
  taskAttachmentReferences,
} from '../../../shared/domain/catalog/attachment-access.ts';
import type { CatalogObject } from '../../../shared/domain/catalog/catalog-object.ts';

const times = { created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' };
const secret = (owner: string, access: 'owner' | 'org'): CatalogObject => ({ kind: 'secret', owner, name: 's', attributes: { description: null, access }, ...times });
const folder = (owner: string, access: 'owner' | 'org'): CatalogObject => ({ kind: 'shared_folder', owner, name: 'data', attributes: { access, access_mode: 'ReadWriteMany' }, ...times });
const role = (allowed: string[]): CatalogObject => ({ kind: 'iam_role', owner: 'admin', name: 'reader', attributes: { role_arn: 'arn:aws:iam::123456789012:role/cassini-workloads/reader', allowed }, ...times });
const bob = { name: 'bob', groups: ['analytics'] };

/** Bob's job attaching alice's secret and folder, the `reader` role and nothing else. */
const spec = { secrets: [{ name: 's', owner: 'alice', attachment_type: 'environment_variable' as const, location: 'S' }], shared_folders: [{ name: 'data', owner: 'alice' }], iam_role: 'reader' };
const refs = attachmentReferences('bob', spec);

describe('attachment access', () => {
  it('lets an owner use org objects of others and a role that allows one of its groups', () => {
    expect(attachmentIssues(refs, [secret('alice', 'org'), folder('alice', 'org'), role(['analytics'])], bob)).toEqual([]);
  });

  it('refuses, naming each field, once alice narrows her secret and folder to owner and the role stops allowing bob', () => {
    // Act: the same references, decided on the objects as they are now
    const issues = attachmentIssues(refs, [secret('alice', 'owner'), folder('alice', 'owner'), role(['alice'])], bob);

    // Assess
    expect(issues).toEqual([
      { path: 'spec.secrets[0].name', message: 'no secret named s owned by alice that bob may use' },
      { path: 'spec.shared_folders[0].name', message: 'no shared folder named data owned by alice that bob may use' },
      { path: 'spec.iam_role', message: 'no registered IAM role named reader that bob is allowed to use' },
    ]);
    expect(accessLostReason('bob', issues)).toContain('bob may no longer use what the task attaches: spec.secrets[0].name: no secret named s');
  });

  it('refuses a deleted object, and one re-registered under the name by someone who does not share it, alike', () => {
    // A deleted object is undefined; a re-registered role is a new object with its own `allowed`.
    expect(attachmentIssues(refs, [undefined, undefined, undefined], bob).map((i) => i.path)).toEqual(['spec.secrets[0].name', 'spec.shared_folders[0].name', 'spec.iam_role']);
    expect(attachmentIssues(refs, [secret('alice', 'org'), folder('alice', 'org'), role(['carol'])], bob).map((i) => i.path)).toEqual(['spec.iam_role']);
  });

  it('refuses a catalog image deleted since, or that no longer lists the tag; a full image URI needs no catalog', () => {
    const image = (tags: string[]): CatalogObject => ({ kind: 'image', owner: 'admin', name: 'torch', attributes: { uri: 'ghcr.io/acme/torch', tags, ide: null }, ...times });
    const imageRefs = attachmentReferences('bob', { image: 'torch:2.3' });
    expect(attachmentIssues(imageRefs, [image(['2.3'])], bob)).toEqual([]);
    expect(attachmentIssues(imageRefs, [undefined], bob)).toEqual([{ path: 'spec.image', message: expect.stringContaining('no catalog image named torch') }]);
    expect(attachmentIssues(imageRefs, [image(['2.4'])], bob)).toEqual([{ path: 'spec.image', message: 'the catalog image torch has no tag 2.3 (it has 2.4)' }]);
    expect(attachmentReferences('bob', { image: 'ghcr.io/acme/torch:2.3' })).toEqual([]);
  });

  it('reads what a planned task carries (secrets, deploy key included, and folders) for the check at launch', () => {
    const taskRefs = taskAttachmentReferences({
      secrets: [{ owner: 'alice', name: 's', as: 'file', path: '/home/jovyan/.ssh/id_ed25519' }],
      sharedFolders: [{ owner: 'alice', name: 'data', path: '/home/jovyan/shared/alice/data', readOnly: false }],
      platformTokenFor: 'bob',
    });
    expect(taskRefs).toEqual([
      { kind: 'secret', owner: 'alice', name: 's', path: 'secret alice/s' },
      { kind: 'shared_folder', owner: 'alice', name: 'data', path: 'shared folder alice/data' },
    ]);
    expect(attachmentIssues(taskRefs, [secret('alice', 'owner'), folder('alice', 'org')], bob)).toEqual([{ path: 'secret alice/s', message: 'no secret named s owned by alice that bob may use' }]);
  });
});
