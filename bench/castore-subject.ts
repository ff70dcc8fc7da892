/**
 * The comparison: the same job and commands on Castore (@castore/core EventStore with
 * DynamoDBSingleTableEventStorageAdapter), one item per event. A command is a Castore
 * `Command` whose handler does getAggregate (a Query over every event of the aggregate,
 * paged at DynamoDB's 1 MB), decides with our decider over a reducer wrapping our
 * `evolve`, and pushEvent. pushEvent of one event is a single conditional PutItem;
 * Castore only uses TransactWriteItems for pushEventGroup, which this path never calls
 * (dynalite has no transactions, so it could not run here anyway).
 */
import {
  CreateTableCommand,
  DeleteItemCommand,
  ResourceInUseException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { Command, EventStore, EventType, tuple, type EventDetail } from '@castore/core';
import {
  DynamoDBSingleTableEventStorageAdapter,
  EVENT_TABLE_EVENT_STORE_ID_KEY,
  EVENT_TABLE_INITIAL_EVENT_INDEX_NAME,
  EVENT_TABLE_PK,
  EVENT_TABLE_SK,
  EVENT_TABLE_TIMESTAMP_KEY,
} from '@castore/event-storage-adapter-dynamodb';
import { resourceEventSchemas, type ResourceEvent } from '../events/resource-events.ts';
import { resourceDecider, type ResourceCommand, type ResourceState } from '../shared/domain/resource/resource-decider.ts';
import { fold } from '../shared/domain/decider.ts';
import { boundedParallel } from './bounded-parallel.ts';
import { jobRecipe, toggleCommand } from './job-commands.ts';
import type { Subject } from './measure.ts';

const EVENT_STORE_ID = 'resources';
const SETUP_CONCURRENCY = 16;

/** The adapter's table, as its README declares it: (aggregateId, version) plus the initialEvents index. */
export async function createCastoreTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: EVENT_TABLE_PK, AttributeType: 'S' },
          { AttributeName: EVENT_TABLE_SK, AttributeType: 'N' },
          { AttributeName: EVENT_TABLE_EVENT_STORE_ID_KEY, AttributeType: 'S' },
          { AttributeName: EVENT_TABLE_TIMESTAMP_KEY, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: EVENT_TABLE_PK, KeyType: 'HASH' },
          { AttributeName: EVENT_TABLE_SK, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: EVENT_TABLE_INITIAL_EVENT_INDEX_NAME,
            KeySchema: [
              { AttributeName: EVENT_TABLE_EVENT_STORE_ID_KEY, KeyType: 'HASH' },
              { AttributeName: EVENT_TABLE_TIMESTAMP_KEY, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}

interface ResourceAggregate {
  aggregateId: string;
  version: number;
  state: ResourceState;
}

type Detail = EventDetail<string, unknown, { actor: string }>;

/** Castore event details carry our event's data as payload and its actor as metadata. */
function toDomainEvent(detail: Detail): ResourceEvent {
  return { type: detail.type, data: detail.payload, at: detail.timestamp, actor: detail.metadata.actor } as ResourceEvent;
}

function castoreEventStore(client: DynamoDBClient, tableName: string) {
  const eventTypes = Object.keys(resourceEventSchemas).map((type) => new EventType<string, unknown, { actor: string }>({ type }));
  return new EventStore({
    eventStoreId: EVENT_STORE_ID,
    eventTypes,
    // The aggregate id is our stream id, so the folded state is exactly what our snapshot holds.
    reducer: (aggregate: ResourceAggregate | undefined, detail: Detail): ResourceAggregate => {
      const decider = resourceDecider(detail.aggregateId);
      const state = decider.evolve(aggregate?.state ?? decider.initialState, toDomainEvent(detail));
      return { aggregateId: detail.aggregateId, version: detail.version, state };
    },
    eventStorageAdapter: new DynamoDBSingleTableEventStorageAdapter({ tableName, dynamoDBClient: client }),
  });
}

type CastoreResources = ReturnType<typeof castoreEventStore>;

function detailOf(aggregateId: string, version: number, event: ResourceEvent): Detail {
  return { aggregateId, version, type: event.type, timestamp: event.at, payload: event.data, metadata: { actor: event.actor } };
}

/** Load every event, decide, push one event per decided event (conditional PutItem each). */
function resourceCommand(store: CastoreResources) {
  return new Command({
    commandId: 'RunResourceCommand',
    requiredEventStores: tuple(store),
    eventAlreadyExistsRetries: 4,
    handler: async (input: { aggregateId: string; command: ResourceCommand }, [eventStore]) => {
      const decider = resourceDecider(input.aggregateId);
      const { aggregate } = await eventStore.getAggregate(input.aggregateId);
      const state = aggregate?.state ?? decider.initialState;
      const events = decider.decide(input.command, state);
      let version = aggregate?.version ?? 0;
      let prevAggregate = aggregate;
      for (const event of events) {
        const pushed = await eventStore.pushEvent(detailOf(input.aggregateId, ++version, event), { prevAggregate });
        prevAggregate = pushed.nextAggregate;
      }
      return { events: events.length };
    },
  });
}

/** `run` is one command through the Castore Command; `reset` deletes the event it pushed. */
export interface CastoreStream extends Subject {
  aggregateId: string;
  history: number;
}

export async function castoreStream(client: DynamoDBClient, tableName: string, jobName: string, history: number): Promise<CastoreStream> {
  const store = castoreEventStore(client, tableName);
  const run = resourceCommand(store);
  const { streamId: aggregateId, apply } = jobRecipe(jobName);
  const created = await run.handler({ aggregateId, command: apply }, [store]);
  if (created.events !== 1) throw new Error('ApplyRecipe created nothing');

  // History as the commands would write it, pushed in parallel (each push names its version).
  const decider = resourceDecider(aggregateId);
  let state = (await store.getExistingAggregate(aggregateId)).aggregate.state;
  const details: Detail[] = [];
  for (let version = 2; version <= history; version++) {
    const [event] = decider.decide(toggleCommand(state), state);
    state = fold(decider, state, [event!]);
    details.push(detailOf(aggregateId, version, event!));
  }
  await boundedParallel(details.length, SETUP_CONCURRENCY, async (i) => {
    await store.pushEvent(details[i]!);
  });

  const { aggregate } = await store.getExistingAggregate(aggregateId);
  if (aggregate.version !== history) throw new Error(`aggregate ${aggregateId} has ${aggregate.version} events, wanted ${history}`);
  const command = toggleCommand(aggregate.state);
  return {
    aggregateId,
    history,
    async run() {
      const outcome = await run.handler({ aggregateId, command }, [store]);
      if (outcome.events !== 1) throw new Error('the timed command decided no event');
    },
    async reset() {
      await client.send(
        new DeleteItemCommand({
          TableName: tableName,
          Key: { [EVENT_TABLE_PK]: { S: `${EVENT_STORE_ID}#${aggregateId}` }, [EVENT_TABLE_SK]: { N: String(history + 1) } },
        }),
      );
    },
  };
}
