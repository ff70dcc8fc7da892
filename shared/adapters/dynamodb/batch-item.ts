/**
 * How a committed batch is laid out as one DynamoDB item, and back. The same decoding serves
 * reads and DynamoDB Streams records (a stream record's NewImage is this item).
 *
 *   pk  S  stream id
 *   sk  N  version of the batch's first event: the conditional put on (pk, sk) is the
 *          optimistic-concurrency check, since every writer that saw version v writes sk v+1
 *   n   N  version of the batch's last event
 *   at  S  commit time
 *   e   S  events, JSON: [{t: type, v: schema version, at, a: actor, d: data}]
 *   s   S  snapshot state after the batch, JSON;  sv N its schema version
 *   r   S  recent command ids, JSON: [[id, version], ...]
 *   z   B  instead of e, s and r: their gzipped JSON, for batches too large to store plainly
 *   h   L  the events' headers, never compressed: [{M: {t: type, a: actor}}], the actor cut to
 *          HEADER_ACTOR_CHARS. Integrations read it from the stream (infra/aws/constructs/
 *          integrations.ts) instead of the events, whose data can exceed what an event bus takes.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { versioningOf, upcast } from '../../../events/event-versions.ts';
import type { DomainEvent, RecordedEvent } from '../../../events/envelope.ts';
import type { AppendRequest, CommittedBatch, Snapshot, StreamHead } from '../../ports/event-store.ts';

export type Item = Record<string, AttributeValue>;

/** Above this many bytes of JSON the payload is gzipped, keeping items far below DynamoDB's 400 KB. */
const COMPRESS_ABOVE = 64 * 1024;
/** Command ids remembered per stream for idempotency. */
export const REMEMBERED_COMMANDS = 32;
/** A command never decides more events than this; reads rely on it to find a batch by any version. */
export const MAX_BATCH_EVENTS = 100;
/** An actor is a user or token id; the header keeps this much of it, so a batch's headers stay small whatever the actor. */
export const HEADER_ACTOR_CHARS = 128;

interface StoredEvent {
  t: string;
  v: number;
  at: string;
  a: string;
  d: unknown;
}

interface Payload {
  e: StoredEvent[];
  s: unknown;
  r: Array<[string, number]>;
}

export interface BatchItemInput {
  streamId: string;
  firstVersion: number;
  events: DomainEvent[];
  snapshot: Snapshot;
  /** The stream's command ids after this batch, as recentCommandsAfter gives them. */
  recentCommands: Array<{ id: string; version: number }>;
  committedAt: string;
}

/**
 * The command ids a stream remembers after a batch: those it had, then the batch's own (at the
 * version the batch reached), the newest REMEMBERED_COMMANDS of them. What the item stores, and
 * so what the stream's head says next (remembered-heads.ts answers the same without a read).
 */
export function recentCommandsAfter(request: Pick<AppendRequest, 'recentCommands' | 'commandId'>, lastVersion: number): StreamHead['recentCommands'] {
  const recent = request.commandId ? [...request.recentCommands, { id: request.commandId, version: lastVersion }] : request.recentCommands;
  return recent.slice(-REMEMBERED_COMMANDS);
}

export function encodeBatch(input: BatchItemInput): Item {
  const payload: Payload = {
    e: input.events.map((e) => ({ t: e.type, v: versioningOf(e.type).version, at: e.at, a: e.actor, d: e.data })),
    s: input.snapshot.state,
    r: input.recentCommands.map((c) => [c.id, c.version]),
  };
  const item: Item = {
    pk: { S: input.streamId },
    sk: { N: String(input.firstVersion) },
    n: { N: String(input.firstVersion + input.events.length - 1) },
    at: { S: input.committedAt },
    sv: { N: String(input.snapshot.schema) },
    h: { L: input.events.map((e) => ({ M: { t: { S: e.type }, a: { S: e.actor.slice(0, HEADER_ACTOR_CHARS) } } })) },
  };
  const e = JSON.stringify(payload.e);
  const s = JSON.stringify(payload.s);
  const r = JSON.stringify(payload.r);
  if (e.length + s.length + r.length > COMPRESS_ABOVE) {
    item.z = { B: gzipSync(JSON.stringify(payload)) };
  } else {
    Object.assign(item, { e: { S: e }, s: { S: s }, r: { S: r } });
  }
  return item;
}

function payloadOf(item: Item): Payload {
  if (item.z?.B) return JSON.parse(gunzipSync(item.z.B).toString('utf8')) as Payload;
  return {
    e: JSON.parse(item.e?.S ?? '[]') as StoredEvent[],
    s: JSON.parse(item.s?.S ?? 'null') as unknown,
    r: JSON.parse(item.r?.S ?? '[]') as Array<[string, number]>,
  };
}

export function decodeBatch(item: Item): CommittedBatch & { recentCommands: Array<{ id: string; version: number }> } {
  const streamId = item.pk!.S!;
  const firstVersion = Number(item.sk!.N);
  const payload = payloadOf(item);
  const events: RecordedEvent[] = payload.e.map((e, i) => ({
    stream: streamId,
    version: firstVersion + i,
    type: e.t,
    at: e.at,
    actor: e.a,
    data: upcast(e.t, e.v, e.d),
  }));
  return {
    streamId,
    firstVersion,
    lastVersion: Number(item.n!.N),
    committedAt: item.at?.S ?? '',
    events,
    snapshot: { schema: Number(item.sv?.N ?? 0), state: payload.s },
    recentCommands: payload.r.map(([id, version]) => ({ id, version })),
  };
}
