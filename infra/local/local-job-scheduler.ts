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
  private readonly crons = new Map<string, Cron>();
  private closed = false;

  constructor(
    private readonly onTick: (tick: ScheduleTick) => Promise<void>,
    private readonly onError: (tick: ScheduleTick, error: unknown) => void = () => {},
  ) {}

  async put(schedule: JobSchedule): Promise<void> {
    await this.remove(schedule.jobId);
    if (schedule.suspended || this.closed) return;
    const expression = MACRO_ALIASES[schedule.schedule.trim()] ?? schedule.schedule;
    const cron = new Cron(expression, { timezone: schedule.timeZone, protect: false }, (self: Cron) => {
      // The time the tick was due, whole minutes, however late the timer fired.
      const due = self.currentRun() ?? new Date();
      due.setUTCSeconds(0, 0);
      const tick = { jobId: schedule.jobId, scheduledFor: due.toISOString() };
      this.onTick(tick).catch((error) => this.onError(tick, error));
    });
    this.crons.set(schedule.jobId, cron);
  }

  async remove(jobId: string): Promise<void> {
    this.crons.get(jobId)?.stop();
    this.crons.delete(jobId);
  }

  scheduledJobs(): string[] {
    return [...this.crons.keys()];
  }

  close(): void {
    this.closed = true;
    for (const cron of this.crons.values()) cron.stop();
    this.crons.clear();
  }
}
