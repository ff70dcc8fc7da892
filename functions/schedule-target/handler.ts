/**
 * Lambda entry point of the job schedules: EventBridge Scheduler invokes it with
 * `{"job_id", "scheduled_time"}` (eventbridge-job-scheduler.ts). The tick goes to the job,
 * which decides whether it starts a run (concurrency policy, suspension, a tick already seen);
 * the run id comes from (job id, scheduled time), so a repeated fire starts nothing more.
 *
 * A malformed event is logged and dropped: retrying cannot fix it. Any other failure throws,
 * so Scheduler retries (its retry policy) and finally dead-letters the fire.
 */
import { dynamoPlatformFromEnv } from '../../shared/adapters/dynamodb/dynamodb-platform.ts';
import { systemClock, systemRandom } from '../../shared/adapters/node-platform.ts';
import { parseScheduleEvent } from '../../shared/adapters/aws/schedules/schedule-event.ts';
import { JobRunService } from '../../shared/app/job-run-service.ts';
import { limitService } from '../../shared/app/limit-service.ts';
import { ValidationError } from '../../shared/domain/errors.ts';
import type { ScheduleTick } from '../../shared/ports/job-scheduler.ts';
import { MetricUnit, observed, telemetryFor } from '../observability.ts';

const telemetry = telemetryFor('schedule-target');

let jobs: JobRunService | undefined;

/** Records the tick an event carries; returns it, or undefined for an event that is not a tick. */
export async function tickFromSchedule(event: unknown, target: Pick<JobRunService, 'tick'>): Promise<ScheduleTick | undefined> {
  let tick: ScheduleTick;
  try {
    tick = parseScheduleEvent(event);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    // The event is logged: Scheduler sends only the job id and time (no secrets), and it is what needs fixing.
    telemetry.logger.error('dropped a malformed schedule event', { error: error.message, event });
    return undefined;
  }
  await target.tick(tick.jobId, tick.scheduledFor);
  return tick;
}

export const handler = observed(telemetry, async (event: unknown): Promise<void> => {
  if (!jobs) {
    const { store, views, runViews, usageViews } = dynamoPlatformFromEnv();
    // A tick the owner's usage limit refuses now is recorded skipped, with the limit in its reason.
    const limits = limitService({ store, views, usageViews, clock: systemClock, random: systemRandom });
    jobs = new JobRunService({ store, runViews, clock: systemClock, random: systemRandom, limits });
  }
  const tick = await tickFromSchedule(event, jobs);
  telemetry.metrics.addMetric(tick ? 'TicksRecorded' : 'TicksDropped', MetricUnit.Count, 1);
});
