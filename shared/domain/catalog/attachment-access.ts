/**
 * May this owner use this attachment now? The one rule for every catalog object a spec
 * attaches (secrets, shared folders, the IAM role, a catalog image), decided the same way when
 * a recipe is applied and each time a task is planned from it (a run, a restart, a replica, a
 * Dask cluster): access granted at apply does not hold over time by itself, because the
 * object's owner may narrow its access, delete it, or register another object under the name.
 *
 * Pure: the objects as their streams say now, and the owner's groups, come in resolved.
 */
import { resolveOwnerName } from '../recipe/owner-name.ts';
import type { FieldIssue } from '../errors.ts';
import type { TaskAttachments } from '../planner/task-spec.ts';
import type { ResourceSpec } from '../recipe/spec-types.ts';
import { imageReference, mayAttach, PLATFORM_WIDE_KINDS, type CatalogAttributes, type CatalogKey, type CatalogKind, type CatalogObject } from './catalog-object.ts';

export const KIND_LABELS: Record<CatalogKind, string> = { secret: 'secret', shared_folder: 'shared folder', image: 'image', iam_role: 'IAM role' };

/** One catalog object a spec names, with the field that names it. */
export interface AttachmentReference {
  kind: CatalogKind;
  /** The owner for secrets and shared folders; empty for platform-wide kinds. */
  owner: string;
  name: string;
  /** The spec field naming it, e.g. `spec.secrets[0].name`. */
  path: string;
  tag?: string;
}

/** The principal a resource runs as: its owner (a user or group) and the groups it belongs to. */
export interface AttachmentUser {
  name: string;
  groups: readonly string[];
}

/** Every catalog object the spec of a resource owned by `owner` attaches; full image URIs are none. */
export function attachmentReferences(owner: string, spec: Pick<ResourceSpec, 'secrets' | 'shared_folders' | 'iam_role'> & { image?: string }): AttachmentReference[] {
  const refs: AttachmentReference[] = [];
  const listed = (field: 'secrets' | 'shared_folders', kind: CatalogKind) => {
    (spec[field] ?? []).forEach((item, i) => {
      refs.push({ kind, owner: resolveOwnerName(item.owner ?? owner), name: item.name, path: `spec.${field}[${i}].name` });
    });
  };
  listed('secrets', 'secret');
  listed('shared_folders', 'shared_folder');
  if (typeof spec.iam_role === 'string') refs.push({ kind: 'iam_role', owner: '', name: spec.iam_role, path: 'spec.iam_role' });
  if (typeof spec.image === 'string') {
    const image = imageReference(spec.image);
    if (image.kind === 'catalog') refs.push({ kind: 'image', owner: '', name: image.name, path: 'spec.image', ...(image.tag !== undefined ? { tag: image.tag } : {}) });
  }
  return refs;
}

/** The stream key a reference is looked up by. */
export function referenceKey(ref: AttachmentReference): CatalogKey {
  return { kind: ref.kind, owner: PLATFORM_WIDE_KINDS.has(ref.kind) ? '' : ref.owner, name: ref.name };
}

/**
 * Why `user` may not use the object `ref` names, or undefined when it may. A missing object
 * and one the user may not use get the same answer, so it reveals nothing about others' objects.
 */
export function attachmentProblem(ref: AttachmentReference, object: CatalogObject | undefined, user: AttachmentUser): string | undefined {
  switch (ref.kind) {
    case 'image': {
      if (!object) return `no catalog image named ${ref.name}; register it (PUT /api/images/${ref.name}) or give a full image URI`;
      const { tags } = object.attributes as CatalogAttributes['image'];
      if (ref.tag !== undefined && tags.length > 0 && !tags.includes(ref.tag)) return `the catalog image ${ref.name} has no tag ${ref.tag} (it has ${tags.join(', ')})`;
      return undefined;
    }
    case 'iam_role':
      return object && mayAttach(object, user) ? undefined : `no registered IAM role named ${ref.name} that ${user.name} is allowed to use`;
    default:
      return object && mayAttach(object, user) ? undefined : `no ${KIND_LABELS[ref.kind]} named ${ref.name} owned by ${ref.owner} that ${user.name} may use`;
  }
}

/** Every reference `user` may not use, as field issues; `objects[i]` is what `refs[i]` names now. */
export function attachmentIssues(refs: readonly AttachmentReference[], objects: ReadonlyArray<CatalogObject | undefined>, user: AttachmentUser): FieldIssue[] {
  return refs.flatMap((ref, i) => {
    const problem = attachmentProblem(ref, objects[i], user);
    return problem ? [{ path: ref.path, message: problem }] : [];
  });
}

/**
 * The catalog objects a planned task carries by reference (its secrets, deploy key included,
 * and its shared folders), for a check at the moment it launches: a replica a runtime replaces,
 * or a run launched after its backoff, long after it was planned.
 */
export function taskAttachmentReferences(attachments: TaskAttachments | undefined): AttachmentReference[] {
  const secrets = (attachments?.secrets ?? []).map((s): AttachmentReference => ({ kind: 'secret', owner: s.owner, name: s.name, path: `secret ${s.owner}/${s.name}` }));
  const folders = (attachments?.sharedFolders ?? []).map((f): AttachmentReference => ({ kind: 'shared_folder', owner: f.owner, name: f.name, path: `shared folder ${f.owner}/${f.name}` }));
  return [...secrets, ...folders];
}

/** The reason a task that may not start records: who lost access to what, each attachment named. */
export function accessLostReason(owner: string, issues: readonly FieldIssue[]): string {
  return `${owner} may no longer use what the task attaches: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
}
