/**
 * A domain event as deciders produce it and consumers receive it. `at` and `actor` come in
 * with the command (deciders never read a clock); the store adds the stream and version.
 */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
  /** ISO 8601 UTC time the command was accepted. */
  at: string;
  /** Username (or `system:<component>`) that caused the event. */
  actor: string;
}

/** An event as read back from a stream; `E` names its type and data once decoded (events/event-catalog.ts). */
export type RecordedEvent<E extends DomainEvent = DomainEvent> = E & {
  stream: string;
  version: number;
};

/** The events of one type among `events`, typed as that event, in order. */
export function ofType<E extends DomainEvent, T extends E['type']>(events: readonly E[], type: T): Array<Extract<E, { type: T }>> {
  return events.filter((e): e is Extract<E, { type: T }> => e.type === type);
}
