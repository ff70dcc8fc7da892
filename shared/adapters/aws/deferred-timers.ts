/**
 * Timers for a Lambda function, which cannot keep a timer past its invocation. An action due
 * now (or in the past) starts at once; a later one is left to the reconciler, which checks
 * every minute for queued runs whose backoff has passed and running runs past their timeout
 * (functions/reconciler/handler.ts). So retries and timeouts act up to about a minute late.
 *
 * The actions started here run while the handler works; `settle()` waits for them and throws
 * the first failure, so the handler can report its batch failed and have it delivered again.
 */
import type { Clock } from '../../ports/platform-clock.ts';
import type { Timers } from '../../ports/timers.ts';

export class DeferredTimers implements Timers {
  private readonly running = new Map<string, Promise<void>>();
  /** Keys armed for later, for the record (and tests): the reconciler does the work. */
  readonly deferred = new Set<string>();

  constructor(private readonly clock: Clock) {}

  at(key: string, when: Date, action: () => Promise<void>): void {
    if (when.getTime() > this.clock.now().getTime()) {
      this.deferred.add(key);
      return;
    }
    this.deferred.delete(key);
    const previous = this.running.get(key) ?? Promise.resolve();
    // Same key again: after the one running, as a timer re-armed would.
    this.running.set(key, previous.catch(() => {}).then(action));
  }

  /** An action that has started cannot be called back; one deferred is forgotten. */
  cancel(key: string): void {
    this.deferred.delete(key);
  }

  /** Waits for every started action; rejects with the first failure. */
  async settle(): Promise<void> {
    const started = [...this.running.values()];
    this.running.clear();
    const results = await Promise.allSettled(started);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
