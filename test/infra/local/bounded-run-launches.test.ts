import { afterEach, describe, expect, it, vi } from 'vitest';
import { BoundedRunLaunches } from '../../../infra/local/bounded-run-launches.ts';
import type { Run } from '../../../shared/domain/run/run-decider.ts';
import type { RunTaskControl } from '../../../shared/ports/run-task-control.ts';

const run = (id: string) => ({ id }) as Run;

/** A control whose launches stay under way until `finish(id)`. */
function heldControl() {
  const started: string[] = [];
  const finishers = new Map<string, () => void>();
  const stopped: string[] = [];
  const control: RunTaskControl = {
    launch: (r) =>
      new Promise<void>((resolve) => {
        started.push(r.id);
        finishers.set(r.id, resolve);
      }),
    stopTasks: async (r) => void stopped.push(r.id),
  };
  return { control, started, stopped, finish: (id: string) => finishers.get(id)!() };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('BoundedRunLaunches', () => {
  it('lets at most `atOnce` launches go at a time, the next in the order they came as each ends', async () => {
    // Prepare
    const held = heldControl();
    const launches = new BoundedRunLaunches(held.control, { atOnce: 2, holdMs: 60_000 });

    // Act
    const done = ['a', 'b', 'c', 'd'].map((id) => launches.launch(run(id)));
    await expect.poll(() => held.started.length, { message: 'the first two launches to start' }).toBe(2);

    // Assess
    expect(held.started).toEqual(['a', 'b']);
    held.finish('b');
    await expect.poll(() => held.started, { message: 'c to start once b ended' }).toEqual(['a', 'b', 'c']);
    held.finish('a');
    await expect.poll(() => held.started, { message: 'd to start once a ended' }).toEqual(['a', 'b', 'c', 'd']);
    held.finish('c');
    held.finish('d');
    await Promise.all(done);
  });

  it('starts a launch that has its slot only once the API gives way', async () => {
    // Prepare: the API is busy until told otherwise
    const held = heldControl();
    let quiet!: () => void;
    const apiQuiet = new Promise<void>((resolve) => (quiet = resolve));
    const launches = new BoundedRunLaunches(held.control, { atOnce: 1, holdMs: 60_000, giveWay: () => apiQuiet });

    // Act
    const done = launches.launch(run('after-the-burst'));
    await Promise.resolve();
    const startedWhileBusy = [...held.started];
    quiet();

    // Assess
    expect(startedWhileBusy).toEqual([]);
    await expect.poll(() => held.started, { message: 'the launch to start once the API is quiet' }).toEqual(['after-the-burst']);
    held.finish('after-the-burst');
    await done;
  });

  it('gives a slot back after holdMs to the launch behind one whose preparation is slow', async () => {
    // Prepare
    vi.useFakeTimers();
    const held = heldControl();
    const launches = new BoundedRunLaunches(held.control, { atOnce: 1, holdMs: 2_000 });
    void launches.launch(run('slow-clone'));
    void launches.launch(run('next'));
    await vi.advanceTimersByTimeAsync(1_999);
    expect(held.started).toEqual(['slow-clone']);

    // Act
    await vi.advanceTimersByTimeAsync(1);

    // Assess: and the slow one ending later frees no second slot
    expect(held.started).toEqual(['slow-clone', 'next']);
    void launches.launch(run('third'));
    held.finish('slow-clone');
    await vi.advanceTimersByTimeAsync(0);
    expect(held.started).toEqual(['slow-clone', 'next']);
    held.finish('next');
    await vi.advanceTimersByTimeAsync(0);
    expect(held.started).toEqual(['slow-clone', 'next', 'third']);
  });

  it('gives the slot back when a launch fails, and never queues a stop', async () => {
    // Prepare
    const failing: RunTaskControl = { launch: async () => Promise.reject(new Error('no free uid')), stopTasks: async () => undefined };
    const launches = new BoundedRunLaunches(failing, { atOnce: 1, holdMs: 60_000 });
    const held = heldControl();
    const stops = new BoundedRunLaunches(held.control, { atOnce: 1, holdMs: 60_000 });
    void stops.launch(run('busy'));

    // Act / Assess
    await expect(launches.launch(run('a'))).rejects.toThrow('no free uid');
    await expect(launches.launch(run('b'))).rejects.toThrow('no free uid');
    await stops.stopTasks(run('busy'), 'cancelled');
    expect(held.stopped).toEqual(['busy']);
  });
});
