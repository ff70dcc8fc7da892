/**
 * What planning a task's attachments needs from the catalog, read from the catalog's streams
 * each time a task is planned (a run queued, a service started, restarted or changed, a Dask
 * cluster ensured): whether the owner may still use every object the spec attaches (the same
 * rule as at apply, attachment-access.ts), which shared folders are `ReadOnlyMany`, and the ARN
 * of the IAM role. One read per attached object and one for the owner's groups; none for a
 * spec that attaches nothing from the catalog.
 *
 * An owner who lost access since the recipe was applied (the object was narrowed to its
 * owner, deleted, or deleted and registered again by someone else under the name) gets a
 * refusal naming each attachment, and the caller starts nothing.
 */
import type { ResourceSpec } from '../domain/recipe/spec-types.ts';
import type { EventStore } from '../ports/event-store.ts';
import { loadState } from './command-runner.ts';
import { catalogModel } from './catalog-model.ts';
import { principalModel } from './identity-service.ts';
import type { CatalogAttributes } from '../domain/catalog/catalog-object.ts';
import { folderKey, type AttachmentCatalogFacts } from '../domain/planner/task-attachments.ts';
import { inspectAttachments, type AttachmentCheckDeps } from './attachment-check.ts';
import { accessLostReason } from '../domain/catalog/attachment-access.ts';

/** The facts to plan with, or why the owner may not use what the spec attaches. */
export type AttachmentPlanning = { facts: AttachmentCatalogFacts; refused?: undefined } | { refused: string };

/** The catalog and the owner's groups as their streams say now. */
export function catalogLookup(store: EventStore): AttachmentCheckDeps {
  return {
    find: async (kind, owner, name) => (await loadState(store, catalogModel({ kind, owner, name }))).state.object ?? undefined,
    groupsOf: async (principal) => {
      const { state } = await loadState(store, principalModel(principal));
      return state.kind === 'user' ? state.user.groups : [];
    },
  };
}

export async function attachmentFacts(store: EventStore, owner: string, spec: ResourceSpec): Promise<AttachmentPlanning> {
  const { refs, objects, issues } = await inspectAttachments(catalogLookup(store), owner, spec);
  if (issues.length > 0) {
    return { refused: accessLostReason(owner, issues) };
  }
  const readOnlyFolders = refs
    .filter((ref, i) => ref.kind === 'shared_folder' && (objects[i]!.attributes as CatalogAttributes['shared_folder']).access_mode === 'ReadOnlyMany')
    .map(folderKey);
  const roleIndex = refs.findIndex((ref) => ref.kind === 'iam_role');
  const roleArn = roleIndex < 0 ? undefined : (objects[roleIndex]!.attributes as CatalogAttributes['iam_role']).role_arn;
  return { facts: { ...(readOnlyFolders.length > 0 ? { readOnlyFolders } : {}), ...(roleArn ? { taskRoleArn: roleArn } : {}) } };
}
