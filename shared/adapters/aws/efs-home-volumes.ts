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
import { createHash } from 'node:crypto';
import {
  CreateAccessPointCommand,
  DeleteAccessPointCommand,
  DescribeAccessPointsCommand,
  type AccessPointDescription,
  type CreateAccessPointRequest,
  type EFSClient,
} from '@aws-sdk/client-efs';
import { isNamed } from './sdk-errors.ts';

/** The image user's uid and gid: jovyan in group users. */
export const HOME_UID = 1000;
export const HOME_GID = 100;
export const HOMES_ROOT = '/homes';
/** The tag that marks an access point as a Cassini home; the reactor's role may delete only those. */
export const HOME_TAG = 'cassini:home';
/** The resource whose home it is: `removeOf` finds the access points to delete by it. */
export const RESOURCE_TAG = 'cassini:resource';
const MAX_CLIENT_TOKEN = 64;
const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const GONE = new Set(['deleting', 'deleted', 'error']);

export interface EfsHomeVolumesOptions {
  client: EFSClient;
  fileSystemId: string;
}

export function homePathFor(volume: string): string {
  if (!VOLUME_NAME.test(volume) || volume.includes('..')) throw new Error(`home volume name ${JSON.stringify(volume)} is not a safe directory name`);
  return `${HOMES_ROOT}/${volume}`;
}

/** The volume name itself when it fits (readable in CloudTrail), else its SHA-256. */
export function accessPointTokenFor(volume: string): string {
  const token = `cassini-home-${volume}`;
  return token.length <= MAX_CLIENT_TOKEN ? token : createHash('sha256').update(token).digest('hex');
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
  async ensure(volume: string, owner: { resourceId: string }): Promise<string> {
    const path = homePathFor(volume);
    const existing = await this.find((a) => a.RootDirectory?.Path === path);
    if (existing?.AccessPointId) return existing.AccessPointId;
    try {
      const created = await this.options.client.send(new CreateAccessPointCommand(createAccessPointInput(this.options.fileSystemId, volume, owner.resourceId)));
      if (!created.AccessPointId) throw new Error(`CreateAccessPoint returned no id for home ${volume}`);
      return created.AccessPointId;
    } catch (error) {
      // The token was used by a create that went through (a retry after a lost answer): that access point is this one.
      const id = isNamed(error, 'AccessPointAlreadyExists') ? (error as { AccessPointId?: string }).AccessPointId : undefined;
      if (id) return id;
      throw error;
    }
  }

  /** Deletes the access points of the resource's home; none is fine. */
  async removeOf(resourceId: string): Promise<void> {
    const owned = (a: AccessPointDescription) => a.Tags?.some((t) => t.Key === RESOURCE_TAG && t.Value === resourceId) ?? false;
    for (let found = await this.find(owned); found?.AccessPointId; found = await this.find(owned)) {
      try {
        await this.options.client.send(new DeleteAccessPointCommand({ AccessPointId: found.AccessPointId }));
      } catch (error) {
        if (!isNamed(error, 'AccessPointNotFound')) throw error;
        return;
      }
    }
  }

  private async find(match: (accessPoint: AccessPointDescription) => boolean): Promise<AccessPointDescription | undefined> {
    let NextToken: string | undefined;
    do {
      const page = await this.options.client.send(new DescribeAccessPointsCommand({ FileSystemId: this.options.fileSystemId, ...(NextToken ? { NextToken } : {}) }));
      const found = page.AccessPoints?.find((a) => match(a) && !GONE.has(a.LifeCycleState ?? ''));
      if (found) return found;
      NextToken = page.NextToken;
    } while (NextToken);
    return undefined;
  }
}
