/**
 * What workspace homes and shared folders do alike on EFS: find a live access point of the
 * file system, create one idempotently (a retried create with the same client token answers
 * with the access point the first one made), and delete one that may already be gone.
 */
import {
  CreateAccessPointCommand,
  DeleteAccessPointCommand,
  DescribeAccessPointsCommand,
  type AccessPointDescription,
  type CreateAccessPointRequest,
  type EFSClient,
} from '@aws-sdk/client-efs';
import { createHash } from 'node:crypto';
import { isNamed } from './sdk-errors.ts';

/** CreateAccessPoint's ClientToken is at most 64 characters. */
const MAX_CLIENT_TOKEN = 64;

/** `token` itself when it fits (readable in CloudTrail), else its SHA-256. */
export function clientToken(token: string): string {
  return token.length <= MAX_CLIENT_TOKEN ? token : createHash('sha256').update(token).digest('hex');
}

/** Access points on their way out, or broken: never the one a task should mount. */
const GONE = new Set(['deleting', 'deleted', 'error']);

export async function findAccessPoint(
  client: EFSClient,
  fileSystemId: string,
  match: (accessPoint: AccessPointDescription) => boolean,
): Promise<AccessPointDescription | undefined> {
  let NextToken: string | undefined;
  do {
    const page = await client.send(new DescribeAccessPointsCommand({ FileSystemId: fileSystemId, ...(NextToken ? { NextToken } : {}) }));
    const found = page.AccessPoints?.find((a) => match(a) && !GONE.has(a.LifeCycleState ?? ''));
    if (found) return found;
    NextToken = page.NextToken;
  } while (NextToken);
  return undefined;
}

/** The id of the access point rooted at `input.RootDirectory.Path`, created from `input` if there is none. */
export async function ensureAccessPoint(client: EFSClient, input: CreateAccessPointRequest, what: string): Promise<string> {
  const path = input.RootDirectory?.Path;
  const existing = await findAccessPoint(client, input.FileSystemId!, (a) => a.RootDirectory?.Path === path);
  if (existing?.AccessPointId) return existing.AccessPointId;
  try {
    const created = await client.send(new CreateAccessPointCommand(input));
    if (!created.AccessPointId) throw new Error(`CreateAccessPoint returned no id for ${what}`);
    return created.AccessPointId;
  } catch (error) {
    // The token was used by a create that went through (a retry after a lost answer): that access point is this one.
    const id = isNamed(error, 'AccessPointAlreadyExists') ? (error as { AccessPointId?: string }).AccessPointId : undefined;
    if (id) return id;
    throw error;
  }
}

/** Deletes the access point; false when it was already gone. */
export async function deleteAccessPoint(client: EFSClient, accessPointId: string): Promise<boolean> {
  try {
    await client.send(new DeleteAccessPointCommand({ AccessPointId: accessPointId }));
    return true;
  } catch (error) {
    if (!isNamed(error, 'AccessPointNotFound')) throw error;
    return false;
  }
}
