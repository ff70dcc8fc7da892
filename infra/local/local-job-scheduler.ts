/**
 * Job schedules in process, with croner: each scheduled job fires in its own time zone and
 * hands (job id, the time the tick was due) to the tick handler, as EventBridge Scheduler
 * does on AWS. A suspended schedule is kept but not armed. Ticks missed while the control
 * plane was down are not made up (like a CronJob without startingDeadlineSeconds).
 */
import { Cron } from 'croner';
import type { JobSchedule, JobScheduler, ScheduleTick } from '../../shared/ports/job-scheduler.ts';

const MACRO_ALIASES: Record<string, string> = { '@midnight': '@daily' };

export class LocalJobScheduler implements JobScheduler {
  /**
   * One croner timer per distinct (time zone, expression), firing every job that shares it:
   * schedules cluster on a few expressions (hourly, nightly), and arming a timer (parsing,
   * finding the next run) is what a start with thousands of scheduled jobs would otherwise pay
   * per job.
   */
  private readonly timers = new Map<string, { cron: Cron; jobs: Set<string> }>();
  /** Each armed job's timer key. */
  private readonly armed = new Map<string, string>();
  private closed = false;

  constructor(
    private readonly onTick: (tick: ScheduleTick) => Promise<void>,
    private readonly onError: (tick: ScheduleTick, error: unknown) => void = () => {},
  ) {}

  async put(schedule: JobSchedule): Promise<void> {
    await this.remove(schedule.jobId);
    if (schedule.suspended || this.closed) return;
    const expression = MACRO_ALIASES[schedule.schedule.trim()] ?? schedule.schedule;
    const key = `${schedule.timeZone}\n${expression}`;
    const timer = this.timers.get(key) ?? this.arm(key, expression, schedule.timeZone);
    timer.jobs.add(schedule.jobId);
    this.armed.set(schedule.jobId, key);
  }

  async remove(jobId: string): Promise<void> {
    const key = this.armed.get(jobId);
    if (key === undefined) return;
    this.armed.delete(jobId);
    const timer = this.timers.get(key)!;
    timer.jobs.delete(jobId);
    if (timer.jobs.size > 0) return;
    timer.cron.stop();
    this.timers.delete(key);
  }

  scheduledJobs(): string[] {
    return [...this.armed.keys()];
  }

  close(): void {
    this.closed = true;
    for (const { cron } of this.timers.values()) cron.stop();
    this.timers.clear();
    this.armed.clear();
  }

  private arm(key: string, expression: string, timeZone: string): { cron: Cron; jobs: Set<string> } {
    const jobs = new Set<string>();
    const cron = new Cron(expression, { timezone: timeZone, protect: false }, (self: Cron) => {
      // The time the tick was due, whole minutes, however late the timer fired.
      const due = self.currentRun() ?? new Date();
      due.setUTCSeconds(0, 0);
      for (const jobId of [...jobs]) {
        const tick = { jobId, scheduledFor: due.toISOString() };
        this.onTick(tick).catch((error) => this.onError(tick, error));
      }
    });
    const timer = { cron, jobs };
    this.timers.set(key, timer);
    return timer;
  }
}
