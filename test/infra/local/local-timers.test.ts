import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalTimers } from '../../../infra/local/local-timers.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('LocalTimers', () => {
  it('never acts before `when` by the wall clock, even when the event loop fires its timer a millisecond ahead', async () => {
    // Prepare: a wall clock one millisecond behind the event loop's timers
    vi.useFakeTimers({ now: 0 });
    const acted: number[] = [];
    const wall = () => Date.now() - 1;
    const timers = new LocalTimers(undefined, wall);

    // Act
    timers.at('timeout:run', new Date(2_000), async () => void acted.push(wall()));
    await vi.advanceTimersByTimeAsync(2_000);
    const atTheLoopsDeadline = [...acted];
    await vi.advanceTimersByTimeAsync(1);

    // Assess
    expect(atTheLoopsDeadline).toEqual([]);
    expect(acted).toEqual([2_000]);
  });

  it('waits out a delay longer than setTimeout takes, and acts once', async () => {
    // Prepare
    vi.useFakeTimers({ now: 0 });
    const acted: number[] = [];
    const timers = new LocalTimers();
    const when = 2 ** 31 + 5_000;

    // Act
    timers.at('backoff:run', new Date(when), async () => void acted.push(Date.now()));
    await vi.advanceTimersByTimeAsync(when);

    // Assess
    expect(acted).toEqual([when]);
  });
});
