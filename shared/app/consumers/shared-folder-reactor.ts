/**
 * A deleted shared folder leaves the file system's way in: its access point (on AWS) is
 * removed, so no task can mount it any more. Its files stay, as a deleted workspace's home
 * does: removing them takes a mount the control plane does not have. Idempotent: removing
 * what is gone is a no-op, so a redelivered batch is harmless.
 */
import type { CommittedBatch } from '../../ports/event-store.ts';
import type { CatalogRef } from '../../ports/task-driver.ts';
import { catalogKeyOf } from './catalog-projector.ts';

export interface SharedFolderStorage {
  remove(ref: CatalogRef): Promise<void>;
}

export class SharedFolderReactor {
  readonly name = 'shared-folder-reactor';

  constructor(private readonly storage: SharedFolderStorage) {}

  reactsTo(streamId: string): boolean {
    return catalogKeyOf(streamId)?.kind === 'shared_folder';
  }

  async handle(batch: CommittedBatch): Promise<void> {
    const key = catalogKeyOf(batch.streamId);
    if (key?.kind !== 'shared_folder') return;
    if (batch.events.some((e) => e.type === 'SharedFolderDeleted')) await this.storage.remove({ owner: key.owner, name: key.name });
  }
}
