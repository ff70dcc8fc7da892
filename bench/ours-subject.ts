/**
 * Our event store under test: a job stream in DynamoEventStore, commands through
 * `runCommand` (head → decide → append).
 */
import { DeleteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoEventStore } from '../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { runCommand, loadState } from '../shared/app/command-runner.ts';
import { fold } from '../shared/domain/decider.ts';
import { resourceModel } from '../shared/app/resource-model.ts';
import type { ResourceState } from '../shared/domain/resource/resource-decider.ts';
import type { ResourceEvent } from '../events/resource-events.ts';
import { boundedParallel } from './bounded-parallel.ts';
import { jobRecipe, toggleCommand } from './job-commands.ts';
import type { Subject } from './measure.ts';

const SETUP_CONCURRENCY = 16;

/** `run` is one command through runCommand; `reset` deletes the batch it wrote. */
export interface OursStream extends Subject {
  streamId: string;
  /** Events in the stream before each timed command. */
  history: number;
}

export async function oursStream(client: DynamoDBClient, tableName: string, jobName: string, history: number): Promise<OursStream> {
  const store = new DynamoEventStore({ client, tableName });
  const { streamId, apply } = jobRecipe(jobName);
  const model = resourceModel(streamId);
  await runCommand(store, model, apply);
  await growHistory(store, model, history);

  const { head, state } = await loadState(store, model);
  if (head.version !== history) throw new Error(`stream ${streamId} has ${head.version} events, wanted ${history}`);
  // The stream is reset after every command, so the same command decides an event each time.
  const command = toggleCommand(state);
  return {
    streamId,
    history,
    async run() {
      const outcome = await runCommand(store, model, command);
      if (outcome.events.length !== 1) throw new Error('the timed command decided no event');
    },
    async reset() {
      await client.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: streamId }, sk: { N: String(history + 1) } } }));
    },
  };
}

/**
 * Brings a freshly created job to `history` events, alternating StartResource/StopResource
 * as runCommand would, one batch (one item) per command like real traffic. Decisions are
 * folded in memory and the appends, each with its own expected version, go out in
 * parallel: the same items as sequential runCommand calls, in a fraction of the time.
 */
async function growHistory(store: DynamoEventStore, model: ReturnType<typeof resourceModel>, history: number): Promise<void> {
  const { head, state: initial } = await loadState(store, model);
  const appends: Array<{ expectedVersion: number; events: ResourceEvent[]; state: ResourceState }> = [];
  let state = initial;
  for (let version = head.version; version < history; version++) {
    const events = model.decider.decide(toggleCommand(state), state);
    state = fold(model.decider, state, events);
    appends.push({ expectedVersion: version, events, state });
  }
  await boundedParallel(appends.length, SETUP_CONCURRENCY, async (i) => {
    const { expectedVersion, events, state: after } = appends[i]!;
    await store.append(model.streamId, {
      expectedVersion,
      events,
      snapshot: { schema: model.snapshotSchema, state: after },
      recentCommands: [],
    });
  });
}
