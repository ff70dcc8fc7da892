/**
 * Apply-time check of what a recipe attaches from the catalog: every secret and shared folder
 * must exist and be usable by the resource's owner, its `iam_role` must be registered with the
 * owner (or one of its groups) allowed, and an image given by catalog name must be registered
 * (with the tag, when the image lists its tags). Full image URIs pass unchecked.
 *
 * "Usable by the owner" and not "by the caller": the resource runs as its owner, so an admin
 * applying a recipe for `ann` may attach only what `ann` may. A missing object and one the
 * owner may not use get the same message, so the check reveals nothing about others' objects.
 * A recipe with no catalog references costs no read.
 */
import { ValidationError, type FieldIssue } from '../domain/errors.ts';
import { imageReference, mayAttach, PLATFORM_WIDE_KINDS, type CatalogAttributes, type CatalogKind, type CatalogObject } from '../domain/catalog/catalog-object.ts';
import { resolveOwnerName } from '../domain/recipe/owner-name.ts';
import { KIND_LABELS } from './catalog-service.ts';

/** What ResourceService.apply calls before it appends: throws ValidationError naming each bad field. */
export interface AttachmentChecker {
  check(owner: string, spec: Record<string, unknown>): Promise<void>;
}

export interface AttachmentCheckDeps {
  /** The catalog object as its stream says, or undefined. */
  find(kind: CatalogKind, owner: string, name: string): Promise<CatalogObject | undefined>;
  /** The groups a user belongs to; none for a group or an unknown name. */
  groupsOf(principal: string): Promise<string[]>;
}

interface Reference {
  kind: CatalogKind;
  owner: string;
  name: string;
  path: string;
  tag?: string;
}

function references(owner: string, spec: Record<string, unknown>): Reference[] {
  const refs: Reference[] = [];
  const listed = (field: 'secrets' | 'shared_folders', kind: CatalogKind) => {
    const items = spec[field];
    if (!Array.isArray(items)) return;
    items.forEach((item: { name: string; owner?: string }, i) => {
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

export class AttachmentCheck implements AttachmentChecker {
  constructor(private readonly deps: AttachmentCheckDeps) {}

  async check(owner: string, spec: Record<string, unknown>): Promise<void> {
    const refs = references(owner, spec);
    if (refs.length === 0) return;
    const [groups, objects] = await Promise.all([
      refs.some((r) => r.kind !== 'image') ? this.deps.groupsOf(owner) : Promise.resolve([]),
      Promise.all(refs.map((r) => this.deps.find(r.kind, PLATFORM_WIDE_KINDS.has(r.kind) ? '' : r.owner, r.name))),
    ]);
    const issues: FieldIssue[] = [];
    refs.forEach((ref, i) => {
      const problem = this.problem(ref, objects[i], { name: owner, groups });
      if (problem) issues.push({ path: ref.path, message: problem });
    });
    if (issues.length > 0) {
      throw new ValidationError(`The recipe attaches catalog objects its owner cannot use; fix these fields: ${issues.map((d) => d.path).join(', ')}.`, issues);
    }
  }

  private problem(ref: Reference, object: CatalogObject | undefined, owner: { name: string; groups: string[] }): string | undefined {
    const label = KIND_LABELS[ref.kind];
    switch (ref.kind) {
      case 'image': {
        if (!object) return `no catalog image named ${ref.name}; register it (PUT /api/images/${ref.name}) or give a full image URI`;
        const { tags } = object.attributes as CatalogAttributes['image'];
        if (ref.tag !== undefined && tags.length > 0 && !tags.includes(ref.tag)) return `the catalog image ${ref.name} has no tag ${ref.tag} (it has ${tags.join(', ')})`;
        return undefined;
      }
      case 'iam_role':
        return object && mayAttach(object, owner) ? undefined : `no registered IAM role named ${ref.name} that ${owner.name} is allowed to use`;
      default:
        return object && mayAttach(object, owner) ? undefined : `no ${label} named ${ref.name} owned by ${ref.owner} that ${owner.name} may use`;
    }
  }
}
