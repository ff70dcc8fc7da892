/**
 * Run launches one at a time. Locally a launch is work on this machine (records written, a
 * task's user and tree, its SATURN_TOKEN, a process spawned), done in the event loop that also
 * answers the API: a burst of 200 dispatches launched all at once would have every answer wait
 * behind 200 launches. Launches wait for a slot, in the order they came.
 *
 * A slot is given back when its launch is over, or after `holdMs` at most: a launch resolves
 * once its tasks' commands run, after their preparation (a clone, a package install), and a
 * slow preparation must not hold up the runs queued behind it.
 *
 * A launch that has its slot first gives way to the API (`giveWay`): it starts once no request is
 * under way, or after LAUNCH_GIVES_WAY_MS. A burst of dispatches is answered before its runs
 * take the event loop, and a launch waits a quarter of a second at most however busy the API.
 */
import type { Run } from '../../shared/domain/run/run-decider.ts';
import type { RunTaskControl } from '../../shared/ports/run-task-control.ts';

/**
 * One at a time: measured with 200 dispatches to one job on two loaded cores, one launch in
 * flight answered the burst's p99 in 5-6 s where four gave 8 s, and finished every run as soon.
 */
export const LOCAL_LAUNCHES_AT_ONCE = 1;
export const LAUNCH_SLOT_HOLD_MS = 1_000;
/** The longest a launch waits for the API to have no request under way. */
export const LAUNCH_GIVES_WAY_MS = 250;

export interface BoundedLaunchOptions {
  atOnce: number;
  holdMs: number;
  /** Resolves when the launch may start: once the API is quiet, or after a bound (local-platform.ts). */
  giveWay?: () => Promise<unknown>;
}

export class BoundedRunLaunches implements RunTaskControl {
  #inFlight = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(
    private readonly control: RunTaskControl,
    private readonly options: BoundedLaunchOptions = { atOnce: LOCAL_LAUNCHES_AT_ONCE, holdMs: LAUNCH_SLOT_HOLD_MS },
  ) {}

  async launch(run: Run): Promise<void> {
    await this.#slot();
    await this.options.giveWay?.();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      this.#release();
    };
    const timer = setTimeout(release, this.options.holdMs);
    timer.unref();
    try {
      await this.control.launch(run);
    } finally {
      release();
    }
  }

  /** Stopping is never queued: it frees the machine. */
  stopTasks(run: Run, reason: string): Promise<void> {
    return this.control.stopTasks(run, reason);
  }

  #slot(): Promise<void> {
    if (this.#inFlight < this.options.atOnce) {
      this.#inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#inFlight--;
  }
}
