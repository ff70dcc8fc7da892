/**
 * Workspace homes on the platform's EFS file system: one access point per home volume, rooted
 * at `/homes/<volume>` and entering as the image's user (jovyan, uid 1000, gid 100 — the
 * Jupyter Docker Stacks convention Saturn images follow), so a task sees only its own home and
 * writes files its user owns. EFS creates the directory on first use with mode 0750.
 *
 * Idempotent both ways: `ensure` finds the access point by its root path before creating one,
 * and creates with a client token derived from the volume name, so a retried create returns the
 * same access point. Each access point is tagged with its resource, which `removeOf` deletes
 * it by (a resource with no home, or whose home is gone, is fine).
 *
 * Removing the access point does not delete the files under `/homes/<volume>`: that takes a
 * mount (a task or a Lambda in the VPC), which the control plane does not have yet.
 */
import type { AccessPointDescription, CreateAccessPointRequest, EFSClient } from '@aws-sdk/client-efs';
import { clientToken, deleteAccessPoint, ensureAccessPoint, findAccessPoint, type EnsureAccessPointOptions } from './efs-access-points.ts';

/** The image user's uid and gid: jovyan in group users. */
export const HOME_UID = 1000;
export const HOME_GID = 100;
export const HOMES_ROOT = '/homes';
/** The tag that marks an access point as a Cassini home; the reactor's role may delete only those. */
export const HOME_TAG = 'cassini:home';
/** The resource whose home it is: `removeOf` finds the access points to delete by it. */
export const RESOURCE_TAG = 'cassini:resource';
const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface EfsHomeVolumesOptions {
  client: EFSClient;
  fileSystemId: string;
  /** How a launch waits for a new access point to become available (efs-access-points.ts); injectable for tests. */
  waiting?: EnsureAccessPointOptions;
}

export function homePathFor(volume: string): string {
  if (!VOLUME_NAME.test(volume) || volume.includes('..')) throw new Error(`home volume name ${JSON.stringify(volume)} is not a safe directory name`);
  return `${HOMES_ROOT}/${volume}`;
}

/** The client token of a home's access point: one per volume, so a retried create makes no second one. */
export function accessPointTokenFor(volume: string): string {
  return clientToken(`cassini-home-${volume}`);
}

export function createAccessPointInput(fileSystemId: string, volume: string, resourceId: string): CreateAccessPointRequest {
  return {
    FileSystemId: fileSystemId,
    ClientToken: accessPointTokenFor(volume),
    PosixUser: { Uid: HOME_UID, Gid: HOME_GID },
    RootDirectory: {
      Path: homePathFor(volume),
      CreationInfo: { OwnerUid: HOME_UID, OwnerGid: HOME_GID, Permissions: '0750' },
    },
    Tags: [
      { Key: 'Name', Value: `cassini home ${volume}` },
      { Key: HOME_TAG, Value: volume },
      { Key: RESOURCE_TAG, Value: resourceId },
    ],
  };
}

export class EfsHomeVolumes {
  constructor(private readonly options: EfsHomeVolumesOptions) {}

  /** The id of the volume's access point, created for the resource if there is none. */
  ensure(volume: string, owner: { resourceId: string }): Promise<string> {
    return ensureAccessPoint(this.options.client, createAccessPointInput(this.options.fileSystemId, volume, owner.resourceId), `home ${volume}`, this.options.waiting);
  }

  /** Deletes the access points of the resource's home; none is fine. */
  async removeOf(resourceId: string): Promise<void> {
    const owned = (a: AccessPointDescription) => a.Tags?.some((t) => t.Key === RESOURCE_TAG && t.Value === resourceId) ?? false;
    for (let found = await this.find(owned); found?.AccessPointId; found = await this.find(owned)) {
      if (!(await deleteAccessPoint(this.options.client, found.AccessPointId))) return;
    }
  }

  private find(match: (accessPoint: AccessPointDescription) => boolean): Promise<AccessPointDescription | undefined> {
    return findAccessPoint(this.options.client, this.options.fileSystemId, match);
  }
}
