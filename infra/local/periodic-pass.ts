/**
 * A pass of the control plane run on a timer in local mode, as the reconciler runs it every
 * minute on AWS. One pass at a time: a slow one is not overlapped by the next tick.
 */
export interface PeriodicPass {
  /** Stops the timer and waits for a pass under way, so nothing is written after the store closes. */
  close(): Promise<void>;
}

export function startPeriodicPass(pass: () => Promise<unknown>, intervalMs: number, onError: (error: unknown) => void): PeriodicPass {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = pass()
      .catch(onError)
      .finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      await running;
    },
  };
}
