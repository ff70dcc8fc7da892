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

/** An event as read back from a stream. */
export interface RecordedEvent extends DomainEvent {
  stream: string;
  version: number;
}
