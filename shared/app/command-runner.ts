/**
 * Runs one command against one stream: load the head (one read), decide, append (one
 * conditional write). On a lost race it reloads and decides again, a bounded number of times.
 */
import type { Decider } from '../domain/decider.ts';
import { fold } from '../domain/decider.ts';
import type { DomainEvent, RecordedEvent } from '../../events/envelope.ts';
import type { EventStore, StreamHead } from '../ports/event-store.ts';
import { ConflictError } from '../domain/errors.ts';
import { WrongExpectedVersionError } from '../ports/event-store.ts';

export interface StreamModel<Command, Event extends DomainEvent, State> {
  streamId: string;
  decider: Decider<Command, Event, State>;
  /** Bump when the state's shape changes: older snapshots are then ignored and the stream replayed. */
  snapshotSchema: number;
}

export interface CommandOutcome<State> {
  state: State;
  /** Stream version after the command. */
  version: number;
  /** What this command appended; empty for a no-op or a repeated command. */
  events: RecordedEvent[];
  /** The command id had been applied before, so nothing was decided. */
  duplicate: boolean;
}

export interface RunOptions {
  /** Idempotency key: a command with an id the stream remembers decides nothing. */
  commandId?: string;
  maxAttempts?: number;
  /** The stream as the caller already loaded it (to check access): the first attempt decides on it instead of reading again. */
  loaded?: LoadedStream<unknown>;
}

export interface LoadedStream<State> {
  head: StreamHead;
  state: State;
}

/** Loads a stream's current state: from the latest snapshot, or by replay when it is stale. */
export async function loadState<C, E extends DomainEvent, S>(
  store: EventStore,
  model: StreamModel<C, E, S>,
): Promise<LoadedStream<S>> {
  const head = await store.head(model.streamId);
  if (head.version === 0) return { head, state: model.decider.initialState };
  if (head.snapshot?.schema === model.snapshotSchema) return { head, state: head.snapshot.state as S };
  let state = model.decider.initialState;
  let after = 0;
  for (;;) {
    const page = await store.read(model.streamId, after, 1000);
    state = fold(model.decider, state, page.events as unknown as E[]);
    if (page.nextAfterVersion === undefined) return { head, state };
    after = page.nextAfterVersion;
  }
}

export async function runCommand<C, E extends DomainEvent, S>(
  store: EventStore,
  model: StreamModel<C, E, S>,
  command: C,
  options: RunOptions = {},
): Promise<CommandOutcome<S>> {
  const maxAttempts = options.maxAttempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const { head, state } = attempt === 1 && options.loaded ? (options.loaded as LoadedStream<S>) : await loadState(store, model);
    if (options.commandId && head.recentCommands.some((c) => c.id === options.commandId)) {
      return { state, version: head.version, events: [], duplicate: true };
    }
    const events = model.decider.decide(command, state);
    if (events.length === 0) return { state, version: head.version, events: [], duplicate: false };
    const next = fold(model.decider, state, events);
    try {
      const batch = await store.append(model.streamId, {
        expectedVersion: head.version,
        events,
        snapshot: { schema: model.snapshotSchema, state: next },
        commandId: options.commandId,
        recentCommands: head.recentCommands,
      });
      return { state: next, version: batch.lastVersion, events: batch.events, duplicate: false };
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      if (attempt >= maxAttempts) throw new ConflictError('Too many concurrent changes to the same object; retry the request.');
    }
  }
}
