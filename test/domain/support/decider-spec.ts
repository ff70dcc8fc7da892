/**
 * The one decider specification every decider test uses: `given(events).when(command).then(events)`.
 * `then` checks that every decided event is storable (its type is in the catalog and its data
 * fits the schema) and, by default, that the same command against the resulting state decides
 * nothing — idempotency, as a retried command must show it. A command that is meant to decide
 * again (a dispatch without an idempotency key, say) says so with `{ replayDecidesNothing: false }`.
 * `then(ErrorClass)` expects the command to be refused with that error.
 */
import { expect } from 'vitest';
import { eventSchema } from '../../../events/event-schemas.ts';
import { fold, type Decider } from '../../../shared/domain/decider.ts';
import type { DomainError } from '../../../shared/domain/errors.ts';

export type ErrorClass = abstract new (...args: never[]) => DomainError;

export interface ThenOptions {
  /** Whether the same command, once its events are applied, decides nothing (the default). */
  replayDecidesNothing?: boolean;
}

export interface Outcome<State> {
  state: State;
  /** Kept for tests that say it out loud; `then` has already checked it unless told otherwise. */
  andReplayDecidesNothing(): void;
}

export function deciderSpec<Command, Event extends { type: string; data: unknown }, State>(decider: Decider<Command, Event, State>) {
  return function given(events: readonly Event[]) {
    const state = fold(decider, decider.initialState, events);
    return {
      state,
      when(command: Command) {
        return {
          then(expected: Event[] | ErrorClass, options: ThenOptions = {}): Outcome<State> {
            if (typeof expected === 'function') {
              expect(() => decider.decide(command, state)).toThrow(expected);
              return { state, andReplayDecidesNothing: () => undefined };
            }
            const decided = decider.decide(command, state);
            expect(decided).toEqual(expected);
            for (const e of decided) expect(eventSchema(e.type)?.safeParse(e.data).success, `${e.type} fits its schema`).toBe(true);
            const next = fold(decider, state, decided);
            const replayDecidesNothing = () => expect(decider.decide(command, next), 'the same command again decides nothing').toEqual([]);
            if (options.replayDecidesNothing ?? true) replayDecidesNothing();
            return { state: next, andReplayDecidesNothing: replayDecidesNothing };
          },
        };
      },
    };
  };
}
