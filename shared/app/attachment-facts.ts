/**
 * What planning a task's attachments needs from the catalog: which of the spec's shared folders
 * are registered `ReadOnlyMany`, and the ARN of the IAM role it names. Read from the catalog's
 * streams at plan time (one read per folder and role; none for a spec that attaches neither),
 * so a run or a replica gets the catalog as it is when it starts. An object deleted since the
 * recipe was applied contributes nothing: its folder is read-write, its role absent.
 */
import type { EventStore } from '../ports/event-store.ts';
import { loadState } from './command-runner.ts';
import { catalogModel } from './catalog-model.ts';
import type { CatalogAttributes } from '../domain/catalog/catalog-object.ts';
import { attachedFolders, folderKey, type AttachmentCatalogFacts } from '../domain/planner/task-attachments.ts';

export async function attachmentFacts(store: EventStore, owner: string, spec: Record<string, unknown>): Promise<AttachmentCatalogFacts> {
  const folders = attachedFolders(spec, owner);
  const role = typeof spec.iam_role === 'string' ? spec.iam_role : undefined;
  const [folderStates, roleState] = await Promise.all([
    Promise.all(folders.map((ref) => loadState(store, catalogModel({ kind: 'shared_folder', ...ref })))),
    role === undefined ? Promise.resolve(undefined) : loadState(store, catalogModel({ kind: 'iam_role', owner: '', name: role })),
  ]);
  const readOnlyFolders = folders
    .filter((_, i) => (folderStates[i]!.state.object?.attributes as CatalogAttributes['shared_folder'] | undefined)?.access_mode === 'ReadOnlyMany')
    .map(folderKey);
  const roleArn = (roleState?.state.object?.attributes as CatalogAttributes['iam_role'] | undefined)?.role_arn;
  return { ...(readOnlyFolders.length > 0 ? { readOnlyFolders } : {}), ...(roleArn ? { taskRoleArn: roleArn } : {}) };
}
