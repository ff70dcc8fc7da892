/**
 * The local timer of the access re-check: a slow pass is not overlapped by the next tick, and
 * closing waits for the pass under way (so nothing is written after the store closes).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startPeriodicAccessRecheck } from '../../../infra/local/periodic-access-recheck.ts';
import type { ServiceAccessRecheckDeps } from '../../../shared/app/service-access-recheck.ts';

afterEach(() => {
  vi.useRealTimers();
});

/** Deps whose listing of deployments blocks until released; counts the passes begun. */
function blockingDeps() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const passes = { begun: 0 };
  const deps: ServiceAccessRecheckDeps = {
    views: {
      list: async (query) => {
        if (query.type === 'deployment') {
          passes.begun++;
          await gate;
        }
        return { views: [], cursor: null };
      },
    },
    store: {} as never,
    reports: { accessLost: async () => {} },
    clock: { now: () => new Date() },
    log: { error: (message) => expect.fail(message) },
  };
  return { deps, passes, release };
}

describe('startPeriodicAccessRecheck', () => {
  it('runs one pass at a time, and close waits for the one under way', async () => {
    // Prepare
    vi.useFakeTimers();
    const { deps, passes, release } = blockingDeps();
    const recheck = startPeriodicAccessRecheck(deps, 1_000);

    // Act: three ticks while the first pass is blocked
    await vi.advanceTimersByTimeAsync(3_000);

    // Assess
    expect(passes.begun).toBe(1);
    let closed = false;
    const closing = recheck.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(closed).toBe(false);
    release();
    await closing;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(passes.begun).toBe(1);
  });
});
