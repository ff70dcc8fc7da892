/**
 * Runs one command against one stream: load the head (one read), decide, append (one
 * conditional write). On a lost race it reloads and decides again, a bounded number of times.
 * A command that depends on more than the stream (what it must claim elsewhere first, what
 * another stream says) is given as a function of the state each attempt read, so that it is
 * computed again from fresh state on every retry.
 */
import type { Decider } from '../domain/decider.ts';
import { fold } from '../domain/decider.ts';
import type { DomainEvent, RecordedEvent } from '../../events/envelope.ts';
import type { EventStore, StreamHead } from '../ports/event-store.ts';
import { ConflictError } from '../domain/errors.ts';
import { WrongExpectedVersionError } from '../ports/event-store.ts';
import { UnknownEventError } from '../../events/event-versions.ts';

export interface StreamModel<Command, Event extends DomainEvent, State> {
  streamId: string;
  decider: Decider<Command, Event, State>;
  /** Bump when the state's shape changes: older snapshots are then ignored and the stream replayed. */
  snapshotSchema: number;
  /** Whether a stored event is one of this stream's (events/event-catalog.ts): how replayed events are decoded. */
  isEvent: (event: RecordedEvent) => event is RecordedEvent<Event>;
}

export interface CommandOutcome<State, Event extends DomainEvent = DomainEvent> {
  state: State;
  /** The state the command was decided on: what the stream held just before it. */
  before: State;
  /** Stream version after the command. */
  version: number;
  /** What this command appended; empty for a no-op or a repeated command. */
  events: Array<RecordedEvent<Event>>;
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
    state = fold(model.decider, state, page.events.map((e) => decoded(model, e)));
    if (page.nextAfterVersion === undefined) return { head, state };
    after = page.nextAfterVersion;
  }
}

/** A stored event as the stream's decider reads it; an event of another aggregate in the stream is a corrupt stream, never skipped. */
function decoded<E extends DomainEvent>(model: StreamModel<unknown, E, unknown>, event: RecordedEvent): RecordedEvent<E> {
  if (!model.isEvent(event)) throw new UnknownEventError(`stream ${model.streamId} holds a ${event.type} event, which is not one of its own`);
  return event;
}

/** A command, or how to make it from the stream as one attempt read it (called again on each retry). */
export type CommandSource<C, S> = C | ((loaded: LoadedStream<S>) => Promise<C>);

export async function runCommand<C extends object, E extends DomainEvent, S>(
  store: EventStore,
  model: StreamModel<C, E, S>,
  source: CommandSource<C, S>,
  options: RunOptions = {},
): Promise<CommandOutcome<S, E>> {
  const maxAttempts = options.maxAttempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const loaded = attempt === 1 && options.loaded ? (options.loaded as LoadedStream<S>) : await loadState(store, model);
    const { head, state } = loaded;
    if (options.commandId && head.recentCommands.some((c) => c.id === options.commandId)) {
      return { state, before: state, version: head.version, events: [], duplicate: true };
    }
    const command = typeof source === 'function' ? await source(loaded) : source;
    const events = model.decider.decide(command, state);
    if (events.length === 0) return { state, before: state, version: head.version, events: [], duplicate: false };
    const next = fold(model.decider, state, events);
    try {
      const batch = await store.append(model.streamId, {
        expectedVersion: head.version,
        events,
        snapshot: { schema: model.snapshotSchema, state: next },
        commandId: options.commandId,
        recentCommands: head.recentCommands,
      });
      // The decided events themselves, typed, at the versions the store gave them.
      const recorded = events.map((e, i) => ({ ...e, stream: model.streamId, version: batch.firstVersion + i }));
      return { state: next, before: state, version: batch.lastVersion, events: recorded, duplicate: false };
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      if (attempt >= maxAttempts) throw new ConflictError('Too many concurrent changes to the same object; retry the request.');
    }
  }
}
