/**
 * The catalog check of what a recipe attaches, at apply: every secret and shared folder must
 * exist and be usable by the resource's owner, its `iam_role` must be registered with the owner
 * (or one of its groups) allowed, and an image given by catalog name must be registered (with
 * the tag, when the image lists its tags). Full image URIs pass unchecked. The rule itself is
 * `attachment-access.ts`, which planning applies again at every launch (attachment-facts.ts).
 *
 * "Usable by the owner" and not "by the caller": the resource runs as its owner, so an admin
 * applying a recipe for `ann` may attach only what `ann` may. A recipe with no catalog
 * references costs no read.
 */
import { ValidationError, type FieldIssue } from '../domain/errors.ts';
import type { ResourceSpec } from '../domain/recipe/spec-types.ts';
import type { CatalogKind, CatalogObject } from '../domain/catalog/catalog-object.ts';
import { attachmentIssues, attachmentReferences, referenceKey, type AttachmentReference } from '../domain/catalog/attachment-access.ts';

/** What ResourceService.apply calls before it appends: throws ValidationError naming each bad field. */
export interface AttachmentChecker {
  check(owner: string, spec: ResourceSpec): Promise<void>;
}

/** Where the objects a spec names and the owner's groups are read. */
export interface AttachmentCheckDeps {
  /** The catalog object as its stream says, or undefined. */
  find(kind: CatalogKind, owner: string, name: string): Promise<CatalogObject | undefined>;
  /** The groups a user belongs to; none for a group or an unknown name. */
  groupsOf(principal: string): Promise<string[]>;
}

export interface AttachmentInspection {
  refs: AttachmentReference[];
  /** What each reference names now (same order as `refs`). */
  objects: Array<CatalogObject | undefined>;
  /** Each reference the owner may not use now. */
  issues: FieldIssue[];
}

/** Reads what the spec attaches as it is now and decides, for each, whether `owner` may use it. */
export function inspectAttachments(deps: AttachmentCheckDeps, owner: string, spec: ResourceSpec): Promise<AttachmentInspection> {
  return inspectReferences(deps, owner, attachmentReferences(owner, spec));
}

/** Reads the objects `refs` name as they are now and decides, for each, whether `owner` may use it. */
export async function inspectReferences(deps: AttachmentCheckDeps, owner: string, refs: AttachmentReference[]): Promise<AttachmentInspection> {
  if (refs.length === 0) return { refs, objects: [], issues: [] };
  const [groups, objects] = await Promise.all([
    refs.some((r) => r.kind !== 'image') ? deps.groupsOf(owner) : Promise.resolve([]),
    Promise.all(refs.map((r) => referenceKey(r)).map((key) => deps.find(key.kind, key.owner, key.name))),
  ]);
  return { refs, objects, issues: attachmentIssues(refs, objects, { name: owner, groups }) };
}

export class AttachmentCheck implements AttachmentChecker {
  constructor(private readonly deps: AttachmentCheckDeps) {}

  async check(owner: string, spec: ResourceSpec): Promise<void> {
    const { issues } = await inspectAttachments(this.deps, owner, spec);
    if (issues.length > 0) {
      throw new ValidationError(`The recipe attaches catalog objects its owner cannot use; fix these fields: ${issues.map((d) => d.path).join(', ')}.`, issues);
    }
  }
}
