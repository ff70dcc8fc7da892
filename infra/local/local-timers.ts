/**
 * Timers in process. They do not survive a restart: on start, the job runtime re-arms what
 * the runs still need (a queued run's backoff, a running run's timeout) from their state.
 */
import type { Timers } from '../../shared/ports/timers.ts';

/** setTimeout cannot wait longer than this; longer waits re-arm. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export class LocalTimers implements Timers {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly onError: (key: string, error: unknown) => void = () => {},
    /** The wall clock `when` is read on; Date.now by default. */
    private readonly nowMs: () => number = Date.now,
  ) {}

  at(key: string, when: Date, action: () => Promise<void>): void {
    if (this.closed) return;
    this.cancel(key);
    const delay = Math.max(0, when.getTime() - this.nowMs());
    const timer = setTimeout(() => {
      this.pending.delete(key);
      // Not yet `when` by the wall clock: a wait longer than setTimeout's, or the event loop's
      // monotonic timer firing a millisecond ahead of it (a run timed out after 1,999 ms of 2 s).
      if (this.nowMs() < when.getTime()) return this.at(key, when, action);
      action().catch((error) => this.onError(key, error));
    }, Math.min(delay, MAX_DELAY_MS));
    this.pending.set(key, timer);
  }

  cancel(key: string): void {
    const timer = this.pending.get(key);
    if (timer) clearTimeout(timer);
    this.pending.delete(key);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }
}
