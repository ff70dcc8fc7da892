/**
 * Shared folders on the platform's EFS file system: one access point per folder, rooted at
 * `/shared/<owner>/<name>` and entering as the image's user (jovyan, uid 1000, gid 100), so a
 * task that mounts it sees that folder and nothing else of the file system. EFS creates the
 * directory on first use (0775: every task runs as the same user, the group may write too).
 *
 * Idempotent like the workspace homes (efs-home-volumes.ts): `ensure` finds the access point by
 * its root path before creating one, and creates with a client token derived from the folder,
 * so a retried create returns the same access point. Access points carry the tag
 * `cassini:shared-folder` = `<owner>/<name>`, which the reactor's role must set to create one
 * and is the only kind it may delete besides homes (infra/aws/constructs/storage.ts).
 *
 * `remove` deletes the access point, not the files: removing them takes a mount, which the
 * control plane does not have (as for homes).
 */
import { EFSClient, type CreateAccessPointRequest } from '@aws-sdk/client-efs';
import type { CatalogRef } from '../../../ports/task-driver.ts';
import { HOME_GID, HOME_UID } from './efs-home-volumes.ts';
import { clientToken, deleteAccessPoint, ensureAccessPoint, findAccessPoint, type EnsureAccessPointOptions } from './efs-access-points.ts';
import { requiredEnv } from '../../required-env.ts';

export const SHARED_ROOT = '/shared';
/** The tag naming the folder (`<owner>/<name>`) an access point is for. */
export const SHARED_FOLDER_TAG = 'cassini:shared-folder';
/** Owners and catalog names are letters, digits, `_`, `-` (and `.` in user names); never `..`. */
const PATH_PART = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

export interface EfsSharedFoldersOptions {
  client: EFSClient;
  fileSystemId: string;
  /** How a launch waits for a new access point to become available (efs-access-points.ts); injectable for tests. */
  waiting?: EnsureAccessPointOptions;
}

export function folderPathFor(ref: CatalogRef): string {
  for (const part of [ref.owner, ref.name]) {
    if (!PATH_PART.test(part) || part.includes('..')) throw new Error(`shared folder ${JSON.stringify(`${ref.owner}/${ref.name}`)} is not a safe directory name`);
  }
  return `${SHARED_ROOT}/${ref.owner}/${ref.name}`;
}

/** The client token of a folder's access point: one per folder, so a retried create makes no second one. */
export function folderTokenFor(ref: CatalogRef): string {
  return clientToken(`cassini-folder-${ref.owner}/${ref.name}`);
}

export function createFolderAccessPointInput(fileSystemId: string, ref: CatalogRef): CreateAccessPointRequest {
  return {
    FileSystemId: fileSystemId,
    ClientToken: folderTokenFor(ref),
    PosixUser: { Uid: HOME_UID, Gid: HOME_GID },
    RootDirectory: {
      Path: folderPathFor(ref),
      CreationInfo: { OwnerUid: HOME_UID, OwnerGid: HOME_GID, Permissions: '0775' },
    },
    Tags: [
      { Key: 'Name', Value: `cassini shared folder ${ref.owner}/${ref.name}` },
      { Key: SHARED_FOLDER_TAG, Value: `${ref.owner}/${ref.name}` },
      { Key: 'cassini:owner', Value: ref.owner },
    ],
  };
}

export class EfsSharedFolders {
  constructor(private readonly options: EfsSharedFoldersOptions) {}

  /** The id of the folder's access point, created if there is none. */
  ensure(ref: CatalogRef): Promise<string> {
    return ensureAccessPoint(this.options.client, createFolderAccessPointInput(this.options.fileSystemId, ref), `shared folder ${ref.owner}/${ref.name}`, this.options.waiting);
  }

  /** Deletes the folder's access point (its files stay); none is fine. */
  async remove(ref: CatalogRef): Promise<void> {
    const path = folderPathFor(ref);
    const found = await findAccessPoint(this.options.client, this.options.fileSystemId, (a) => a.RootDirectory?.Path === path);
    if (found?.AccessPointId) await deleteAccessPoint(this.options.client, found.AccessPointId);
  }
}

/** Shared folders on the stack's file system (`FILE_SYSTEM_ID`). */
export function efsSharedFoldersFromEnv(env: NodeJS.ProcessEnv): EfsSharedFolders {
  return new EfsSharedFolders({ client: new EFSClient({}), fileSystemId: requiredEnv(env, 'FILE_SYSTEM_ID') });
}
