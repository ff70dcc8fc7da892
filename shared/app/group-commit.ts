/**
 * Group commit: the commands that queue for one stream in this process are decided together,
 * one after another on the state each leaves, and appended as one batch — one read and one
 * conditional write for the lot, where racing each on its own would have all but one lose the
 * optimistic race and retry until they give up (a burst of dispatches to one job).
 *
 * The meaning of each command is unchanged: it is decided on exactly the state it would have met
 * had the commands run one at a time in arrival order, so idempotency keys, concurrency policies
 * (Forbid, Replace) and state checks hold across the group. A command the decider refuses fails
 * alone; the others of its group go on. A command with a `commandId` goes in a group of its own
 * (a batch remembers one command id). When another process wrote first, the whole group is
 * decided again on the fresh state after a jittered pause, so that processes racing for one
 * stream (API Lambda instances) spread out rather than collide again in step.
 */
import { fold } from '../domain/decider.ts';
import type { DomainEvent, RecordedEvent } from '../../events/envelope.ts';
import { WrongExpectedVersionError, type EventStore } from '../ports/event-store.ts';
import { ConflictError } from '../domain/errors.ts';
import { loadState, type CommandOutcome, type CommandSource, type LoadedStream, type RunOptions, type StreamModel } from './command-runner.ts';

/** Commands per batch: bounded so that a batch (events and snapshot) stays well inside one item. */
export const MAX_GROUP = 25;
/** Lost races before the group's commands are answered 409. */
export const MAX_GROUP_ATTEMPTS = 10;
/** The most a retry waits before deciding again; the wait is drawn up to min(cap, base·2^attempt). */
const MAX_BACKOFF_MS = 200;
const BASE_BACKOFF_MS = 5;

interface Pending {
  source: CommandSource<object, unknown> | object;
  options: RunOptions;
  resolve: (outcome: CommandOutcome<unknown>) => void;
  reject: (error: unknown) => void;
}

interface Queue {
  model: StreamModel<object, DomainEvent, unknown>;
  pending: Pending[];
}

export interface GroupCommitOptions {
  /** Waits before a retry; a jittered real timer by default. */
  pause?: (attempt: number) => Promise<void>;
}

function jitteredPause(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class GroupCommit {
  /** Streams with a drain under way, and the commands waiting for it. */
  readonly #queues = new Map<string, Queue>();
  readonly #pause: (attempt: number) => Promise<void>;

  constructor(private readonly store: EventStore, options: GroupCommitOptions = {}) {
    this.#pause = options.pause ?? jitteredPause;
  }

  /** Runs a command as `runCommand` does, in a group with whatever else queues for its stream meanwhile. */
  run<C extends object, E extends DomainEvent, S>(model: StreamModel<C, E, S>, source: CommandSource<C, S>, options: RunOptions = {}): Promise<CommandOutcome<S, E>> {
    return new Promise<CommandOutcome<S, E>>((resolve, reject) => {
      const pending: Pending = { source: source as Pending['source'], options, resolve: resolve as Pending['resolve'], reject };
      const queue = this.#queues.get(model.streamId);
      // Behind a drain, the stream its caller read is older than what the drain leaves: it is read again.
      if (queue) return void queue.pending.push({ ...pending, options: { ...options, loaded: undefined } });
      const started: Queue = { model: model as unknown as Queue['model'], pending: [pending] };
      this.#queues.set(model.streamId, started);
      void this.#drain(started);
    });
  }

  async #drain(queue: Queue): Promise<void> {
    try {
      while (queue.pending.length > 0) {
        const group = this.#nextGroup(queue.pending);
        try {
          await this.#commit(queue.model, group);
        } catch (error) {
          // The stream could not even be read: the group fails with that (settled commands stay
          // as they are), and the commands behind it still get their turn.
          for (const pending of group) pending.reject(error);
        }
      }
    } finally {
      this.#queues.delete(queue.model.streamId);
    }
  }

  /** The oldest commands, up to MAX_GROUP, stopping at one with a command id (which goes alone). */
  #nextGroup(pending: Pending[]): Pending[] {
    if (pending[0]!.options.commandId) return pending.splice(0, 1);
    let count = 1;
    while (count < pending.length && count < MAX_GROUP && !pending[count]!.options.commandId) count++;
    return pending.splice(0, count);
  }

  async #commit(model: Queue['model'], group: Pending[]): Promise<void> {
    let live = group;
    for (let attempt = 1; live.length > 0; attempt++) {
      // A lone command may decide on the stream its caller already read (as runCommand does).
      const loaded = attempt === 1 && live.length === 1 && live[0]!.options.loaded ? live[0]!.options.loaded : await loadState(this.store, model);
      const decided = await this.#decide(model, loaded, live);
      live = decided.map((d) => d.pending);
      const appending = decided.filter((d) => d.events.length > 0);
      if (appending.length === 0) {
        for (const d of decided) d.pending.resolve(d.outcome([]));
        return;
      }
      const events = appending.flatMap((d) => d.events);
      try {
        const batch = await this.store.append(model.streamId, {
          expectedVersion: loaded.head.version,
          events,
          snapshot: { schema: model.snapshotSchema, state: decided.at(-1)!.after },
          commandId: live.length === 1 ? live[0]!.options.commandId : undefined,
          recentCommands: loaded.head.recentCommands,
        });
        let offset = 0;
        for (const d of decided) {
          d.pending.resolve(d.outcome(batch.events.slice(offset, offset + d.events.length)));
          offset += d.events.length;
        }
        return;
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) {
          for (const d of decided) d.pending.reject(error);
          return;
        }
        if (attempt >= MAX_GROUP_ATTEMPTS) {
          for (const d of decided) d.pending.reject(new ConflictError('Too many concurrent changes to the same object; retry the request.'));
          return;
        }
        await this.#pause(attempt);
      }
    }
  }

  /**
   * Decides each command on the state the previous one left. A command that is refused, or whose
   * source fails, is answered with its error here and leaves the group.
   */
  async #decide(model: Queue['model'], loaded: LoadedStream<unknown>, group: Pending[]) {
    const decided: Array<{ pending: Pending; events: DomainEvent[]; after: unknown; outcome: (recorded: RecordedEvent[]) => CommandOutcome<unknown> }> = [];
    let state = loaded.state;
    let version = loaded.head.version;
    for (const pending of group) {
      const before = state;
      const { commandId } = pending.options;
      if (commandId && loaded.head.recentCommands.some((c) => c.id === commandId)) {
        decided.push({ pending, events: [], after: state, outcome: () => ({ state: before, before, version: loaded.head.version, events: [], duplicate: true }) });
        continue;
      }
      try {
        const source = pending.source;
        // A source sees the stream as its command will meet it: the version the group reached so far (what a subdomain claim names).
        const command = typeof source === 'function' ? await (source as (l: LoadedStream<unknown>) => Promise<object>)({ head: { ...loaded.head, version }, state }) : source;
        const events = model.decider.decide(command, state);
        const after = events.length === 0 ? state : fold(model.decider, state, events);
        state = after;
        version += events.length;
        const reached = version;
        decided.push({ pending, events, after, outcome: (recorded) => ({ state: after, before, version: reached, events: recorded, duplicate: false }) });
      } catch (error) {
        pending.reject(error);
      }
    }
    return decided;
  }
}
