/** Binds the resource decider to its stream and snapshot schema. */
import type { StreamModel } from './command-runner.ts';
import { resourceDecider, type ResourceCommand, type ResourceState } from '../domain/resource/resource-decider.ts';
import type { ResourceEvent } from '../../events/resource-events.ts';
import { isResourceEvent } from '../../events/event-versions.ts';

export const RESOURCE_STREAM_PREFIX = 'resource-';
/** Bump when ResourceState changes shape. */
export const RESOURCE_SNAPSHOT_SCHEMA = 6;

export function resourceModel(streamId: string): StreamModel<ResourceCommand, ResourceEvent, ResourceState> {
  return { streamId, decider: resourceDecider(streamId), snapshotSchema: RESOURCE_SNAPSHOT_SCHEMA, isEvent: isResourceEvent };
}
