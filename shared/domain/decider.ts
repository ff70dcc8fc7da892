/**
 * The decider pattern: a pure aggregate with no I/O, no clock and no id generation.
 * Everything time- or randomness-dependent arrives inside the command.
 */
export interface Decider<Command, Event, State> {
  initialState: State;
  /** Returns the events the command produces, or throws a DomainError. An empty list is a no-op. */
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
}

/** Who asked for a command and when: every command carries it, since deciders read no clock. */
export interface CommandMeta {
  /** ISO 8601 UTC time the command was accepted. */
  at: string;
  /** Username, or `system:<component>`. */
  actor: string;
}

/** Folds events into a state, starting from `state`. */
export function fold<Command, Event, State>(
  decider: Decider<Command, Event, State>,
  state: State,
  events: readonly Event[],
): State {
  return events.reduce((s, e) => decider.evolve(s, e), state);
}

/**
 * The event constructor of a decider whose events are the union `E`: `type` picks the member,
 * so `data` is checked against that event's own data, and the result is that member.
 */
export function eventsOf<E extends { type: string; data: unknown }>() {
  return function event<T extends E['type']>(type: T, data: Extract<E, { type: T }>['data'], meta: CommandMeta): { type: T; data: Extract<E, { type: T }>['data']; at: string; actor: string } {
    return { type, data, at: meta.at, actor: meta.actor };
  };
}
