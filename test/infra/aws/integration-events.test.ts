/**
 * What the integrations pipe puts on the bus, rendered from the synthesized pipe's input
 * template against the largest stream record the event store can write.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EVENT_VERSIONS } from '../../../events/event-versions.ts';
import { BATCH_DETAIL_TYPE, EVENT_SOURCE } from '../../../infra/aws/constructs/integrations.ts';
import { encodeBatch, HEADER_ACTOR_CHARS, MAX_BATCH_EVENTS, type Item } from '../../../shared/adapters/dynamodb/batch-item.ts';
import { logicalId, synthCassini } from './support/synth.ts';

/** "Amazon EventBridge quotas": a PutEvents entry is at most 256 KB. */
const PUT_EVENTS_ENTRY_LIMIT = 256 * 1024;

/**
 * An entry's size as "Calculating Amazon EventBridge PutEvents event entry size" counts it: the
 * UTF-8 bytes of Source, DetailType and Detail, 14 bytes for Time, and each Resources entry.
 */
function entrySize(entry: { source: string; detailType: string; detail: string }): number {
  return 14 + Buffer.byteLength(entry.source) + Buffer.byteLength(entry.detailType) + Buffer.byteLength(entry.detail);
}

/** A stream record as Pipes receives it: the item in DynamoDB JSON, binaries in base64. */
function streamRecord(item: Item): unknown {
  const image = JSON.parse(JSON.stringify(item, (_, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value)));
  return { eventName: 'INSERT', eventSource: 'aws:dynamodb', dynamodb: { Keys: { pk: item.pk, sk: item.sk }, NewImage: image, StreamViewType: 'NEW_IMAGE' } };
}

function valueAt(record: unknown, path: string): unknown {
  return path
    .replace(/^\$\./, '')
    .split('.')
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], record);
}

/**
 * Renders a pipe input template as "Amazon EventBridge Pipes input transformation" describes:
 * `"<$.path>"` is the string at the path, `<$.path>` the JSON value (an object or array).
 */
function renderInputTemplate(template: string, record: unknown): string {
  return template
    .replace(/"<(\$\.[\w.]+)>"/g, (_, path: string) => JSON.stringify(String(valueAt(record, path))))
    .replace(/<(\$\.[\w.]+)>/g, (_, path: string) => JSON.stringify(valueAt(record, path)));
}

const longestType = Object.keys(EVENT_VERSIONS).reduce((a, b) => (b.length > a.length ? b : a));
const DATA_MARKER = 'data-the-bus-must-not-carry';
const SNAPSHOT_MARKER = 'snapshot-the-bus-must-not-carry';

/** The largest batch a command can commit: the most events, the longest type, an unbounded actor, incompressible data near DynamoDB's 400 KB item limit. */
function largestBatch(): Item {
  const events = Array.from({ length: MAX_BATCH_EVENTS }, (_, i) => ({
    type: longestType,
    at: '2026-12-06T04:00:00.000Z',
    actor: `token:${'x'.repeat(2000)}`,
    data: { marker: DATA_MARKER, payload: randomBytes(2600).toString('base64'), i },
  }));
  const item = encodeBatch({ streamId: `resource-${'0'.repeat(36)}`, firstVersion: 1, events, snapshot: { schema: 1, state: { marker: SNAPSHOT_MARKER } }, recentCommands: [], committedAt: '2026-12-06T04:00:00.000Z' });
  return item;
}

describe('integration events on the bus', () => {
  const { json, stack } = synthCassini();
  const pipe = json.Resources[logicalId(stack.integrations.pipe)]!.Properties! as { TargetParameters: { InputTemplate?: string; EventBridgeEventBusParameters: { Source: string; DetailType: string } } };
  const item = largestBatch();
  const record = streamRecord(item);

  it('starts from a stream record that would not fit an event bus entry (so the template is what keeps it bounded)', () => {
    const itemBytes = Buffer.byteLength(JSON.stringify(record));
    expect(itemBytes).toBeGreaterThan(PUT_EVENTS_ENTRY_LIMIT);
    // DynamoDB's item limit is 400 KB: the record is one the table accepts.
    expect(Buffer.from(item.z!.B!).length).toBeLessThan(400 * 1024);
  });

  // "Amazon EventBridge quotas" (PutEvents entry size: 256 KB) and "Calculating Amazon
  // EventBridge PutEvents event entry size": an entry over the limit is refused, and the pipe
  // would send the batch to its dead-letter queue instead of the bus.
  it('sends a detail under the PutEvents entry limit for the largest batch', () => {
    expect(pipe.TargetParameters.InputTemplate, 'the pipe sends the whole stream record').toBeDefined();
    const detail = renderInputTemplate(pipe.TargetParameters.InputTemplate!, record);
    const { Source, DetailType } = pipe.TargetParameters.EventBridgeEventBusParameters;
    expect(Source).toBe(EVENT_SOURCE);
    expect(DetailType).toBe(BATCH_DETAIL_TYPE);
    expect(entrySize({ source: Source, detailType: DetailType, detail })).toBeLessThan(PUT_EVENTS_ENTRY_LIMIT / 4);
  });

  it('carries the stream, versions, commit time and each event’s type and actor, and neither the events’ data nor the snapshot', () => {
    const detail = JSON.parse(renderInputTemplate(pipe.TargetParameters.InputTemplate!, record)) as Record<string, unknown>;
    expect(detail).toEqual({
      stream: `resource-${'0'.repeat(36)}`,
      firstVersion: '1',
      lastVersion: String(MAX_BATCH_EVENTS),
      committedAt: '2026-12-06T04:00:00.000Z',
      events: Array.from({ length: MAX_BATCH_EVENTS }, () => ({ M: { t: { S: longestType }, a: { S: `token:${'x'.repeat(2000)}`.slice(0, HEADER_ACTOR_CHARS) } } })),
    });
    expect(JSON.stringify(detail)).not.toContain(DATA_MARKER);
    expect(JSON.stringify(detail)).not.toContain(SNAPSHOT_MARKER);
  });
});
