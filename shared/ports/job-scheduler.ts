/**
 * Where job schedules live: EventBridge Scheduler on AWS, an in-process cron locally. Each
 * fire delivers (job id, scheduled time) to the schedule handler, which turns it into a
 * `RequestJobRun` tick; a fire repeated for the same time starts nothing more.
 */
export interface JobSchedule {
  jobId: string;
  /** Five-field cron or an @ macro. */
  schedule: string;
  /** IANA time zone the schedule is read in. */
  timeZone: string;
  /** A suspended schedule is kept but does not fire. */
  suspended: boolean;
}

export interface ScheduleTick {
  jobId: string;
  /** The time the tick was due (ISO 8601), not when it arrived. */
  scheduledFor: string;
}

export interface JobScheduler {
  /** Creates or replaces the job's schedule. */
  put(schedule: JobSchedule): Promise<void>;
  /** Removes the job's schedule; removing one that does not exist is fine. */
  remove(jobId: string): Promise<void>;
}
