/**
 * The schedule Lambda's input: what every job schedule sends (eventbridge-job-scheduler.ts
 * writes it as the target's Input, with Scheduler's `<aws.scheduler.scheduled-time>`).
 */
import * as z from 'zod';
import { ValidationError } from '../../../domain/errors.ts';
import type { ScheduleTick } from '../../../ports/job-scheduler.ts';

const scheduleEventSchema = z.lazy(() => z.object({
  job_id: z.string().min(1),
  // Scheduler sends `2025-01-31T00:00:00Z`; an offset is accepted for events replayed by hand.
  scheduled_time: z.iso.datetime({ offset: true }),
}));

/**
 * The schedule Lambda's input as a tick. The time is normalized to `toISOString()` form
 * (milliseconds, `Z`), the form every other timestamp of the platform has: ticks are compared
 * and turned into run ids as strings, so one instant must have one spelling.
 */
export function parseScheduleEvent(input: unknown): ScheduleTick {
  const result = scheduleEventSchema.safeParse(input);
  if (!result.success) {
    const details = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    throw new ValidationError('not a schedule event: expected {"job_id": string, "scheduled_time": ISO 8601 time}', details);
  }
  return { jobId: result.data.job_id, scheduledFor: new Date(result.data.scheduled_time).toISOString() };
}
