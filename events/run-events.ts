/**
 * Events of a job run. Each run is its own stream (`run-<id>`), so a job with 100,000 runs
 * still loads in one read and its runs are written without contending with each other.
 */
import { z } from 'zod';
import type { DomainEvent } from './envelope.ts';

export const RUN_TRIGGERS = ['api', 'schedule', 'retry'] as const;

/** What a run executes, fixed when it is queued so later edits of the job do not change it. */
export const runPlanSchema = z.object({
  command: z.string(),
  environment: z.record(z.string(), z.string()),
  image: z.string(),
  instance_type: z.string(),
  scale: z.number().int().min(1),
  timeout_seconds: z.number().int().positive().nullable(),
  start_script: z.string().nullable(),
  working_directory: z.string().nullable(),
  /** Run the tasks on spot capacity (FARGATE_SPOT). Absent in runs queued before it existed: false. */
  spot: z.boolean().optional(),
});
export type RunPlan = z.infer<typeof runPlanSchema>;

export const runEventSchemas = {
  RunQueued: z.object({
    run_id: z.string(),
    job_id: z.string(),
    owner: z.string(),
    trigger: z.enum(RUN_TRIGGERS),
    attempt: z.number().int().min(1),
    scheduled_for: z.string().nullable(),
    /** A retry waits for its backoff: the run starts no earlier than this. */
    not_before: z.string().nullable(),
    plan: runPlanSchema,
  }),
  /** A scheduled tick that Forbid refused because a run was still active. */
  RunSkipped: z.object({
    run_id: z.string(),
    job_id: z.string(),
    owner: z.string(),
    scheduled_for: z.string().nullable(),
    reason: z.string(),
  }),
  RunTasksLaunched: z.object({ tasks: z.array(z.object({ rank: z.number().int().min(0), task_id: z.string() })) }),
  /**
   * `ref`: the platform's own id of the task (on ECS its task ARN); `log_stream`: where its output
   * goes, when that is not the platform's own (a CloudWatch Logs stream on ECS). Absent where none.
   */
  TaskStarted: z.object({ task_id: z.string(), ref: z.string().optional(), log_stream: z.string().optional() }),
  TaskExited: z.object({ task_id: z.string(), exit_code: z.number().int().nullable(), reason: z.string() }),
  RunStarted: z.object({}),
  RunSucceeded: z.object({}),
  RunFailed: z.object({ exit_code: z.number().int().nullable(), reason: z.string() }),
  RunCancelled: z.object({ reason: z.string() }),
  RunTimedOut: z.object({ timeout_seconds: z.number().int().positive() }),
} as const;

type Schemas = typeof runEventSchemas;
export type RunEvent = { [K in keyof Schemas]: DomainEvent<K, z.infer<Schemas[K]>> }[keyof Schemas];
