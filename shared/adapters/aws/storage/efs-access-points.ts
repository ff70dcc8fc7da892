/**
 * What workspace homes and shared folders do alike on EFS: create an access point
 * idempotently (a retried create with the same client token answers with the access point the
 * first one made) and wait until it is `available`, find one of the file system (removals), and
 * delete one that may already be gone.
 *
 * A launch never lists the file system's access points: DescribeAccessPoints by file system
 * pages through every home and folder and is throttled at scale. `ensureAccessPoint` creates
 * with the client token (which finds the existing one) and describes that one access point by
 * id. A task can mount an access point only once it is `available` (its LifeCycleState is
 * `creating` first; CreateAccessPoint, Amazon EFS API Reference).
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
import { isNamed } from '../sdk-errors.ts';

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

/** How long a launch waits for a new access point to become available; past it the launch is retried later. */
export const ACCESS_POINT_AVAILABLE_WITHIN_MS = 30_000;
const ACCESS_POINT_POLL_MS = 1_000;

/** An access point that is not available yet: the caller is deferred and tries again later. */
export class AccessPointNotReadyError extends Error {
  override name = 'AccessPointNotReadyError';
}

export interface EnsureAccessPointOptions {
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  availableWithinMs?: number;
}

/**
 * The id of the access point `input` describes (its client token names it), created if there is
 * none, once it is `available`.
 */
export async function ensureAccessPoint(client: EFSClient, input: CreateAccessPointRequest, what: string, options: EnsureAccessPointOptions = {}): Promise<string> {
  let accessPoint = await createOrFind(client, input, what);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const within = options.availableWithinMs ?? ACCESS_POINT_AVAILABLE_WITHIN_MS;
  for (let waited = 0; accessPoint.LifeCycleState !== 'available'; waited += ACCESS_POINT_POLL_MS) {
    if (GONE.has(accessPoint.LifeCycleState ?? '')) throw new Error(`the access point of ${what} (${accessPoint.AccessPointId}) is ${accessPoint.LifeCycleState}; it cannot be mounted`);
    if (waited >= within) throw new AccessPointNotReadyError(`the access point of ${what} is still ${accessPoint.LifeCycleState ?? 'being created'}; the launch is tried again shortly`);
    await sleep(ACCESS_POINT_POLL_MS);
    accessPoint = await describeAccessPoint(client, accessPoint.AccessPointId!, what);
  }
  return accessPoint.AccessPointId!;
}

/** CreateAccessPoint with the input's client token: a new access point, or the one an earlier create with that token made. */
async function createOrFind(client: EFSClient, input: CreateAccessPointRequest, what: string): Promise<AccessPointDescription> {
  try {
    const created = await client.send(new CreateAccessPointCommand(input));
    if (!created.AccessPointId) throw new Error(`CreateAccessPoint returned no id for ${what}`);
    return created;
  } catch (error) {
    // The token was used by a create that went through (an earlier launch, or a retry after a lost answer): that access point is this one.
    const id = isNamed(error, 'AccessPointAlreadyExists') ? (error as { AccessPointId?: string }).AccessPointId : undefined;
    if (id) return describeAccessPoint(client, id, what);
    throw error;
  }
}

async function describeAccessPoint(client: EFSClient, accessPointId: string, what: string): Promise<AccessPointDescription> {
  const { AccessPoints } = await client.send(new DescribeAccessPointsCommand({ AccessPointId: accessPointId }));
  const found = AccessPoints?.[0];
  if (!found) throw new Error(`the access point of ${what} (${accessPointId}) is gone`);
  return found;
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
