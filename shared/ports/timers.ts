/** Deferred work: a retry's backoff, a run's timeout. Keyed, so arming the same key again replaces it. */
export interface Timers {
  at(key: string, when: Date, action: () => Promise<void>): void;
  cancel(key: string): void;
}
