/**
 * Where a resource lives. Its stream is keyed by a hash of (type, owner, name), so applying
 * a recipe by name and acting on a resource by id both find the stream in one read, and the
 * conditional append on that stream is what keeps names unique. Each incarnation (create …
 * delete) of a name gets its own id: the name hash followed by the incarnation number, 32 hex
 * digits in all, like the ids Saturn Cloud prints.
 */
import { createHash } from 'node:crypto';
import type { ResourceType } from '../recipe/spec-schemas.ts';

const HASH_DIGITS = 24;
const INCARNATION_DIGITS = 8;

export interface ResourceAddress {
  streamId: string;
  incarnation: number;
}

function nameHash(type: ResourceType, owner: string, name: string): string {
  return createHash('sha256').update(`${type}\n${owner}\n${name}`).digest('hex').slice(0, HASH_DIGITS);
}

export function resourceStreamId(type: ResourceType, owner: string, name: string): string {
  return `resource-${nameHash(type, owner, name)}`;
}

export function resourceId(streamId: string, incarnation: number): string {
  return streamId.slice('resource-'.length) + incarnation.toString(16).padStart(INCARNATION_DIGITS, '0');
}

/** Parses an id back to its stream and incarnation; undefined when it cannot be one of ours. */
export function addressOf(id: string): ResourceAddress | undefined {
  if (!/^[0-9a-f]{32}$/.test(id)) return undefined;
  const incarnation = parseInt(id.slice(HASH_DIGITS), 16);
  if (incarnation < 1) return undefined;
  return { streamId: `resource-${id.slice(0, HASH_DIGITS)}`, incarnation };
}
