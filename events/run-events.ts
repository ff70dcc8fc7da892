/**
 * Events of a job run. Each run is its own stream (`run-<id>`), so a job with 100,000 runs
 * still loads in one read and its runs are written without contending with each other.
 */
import * as z from 'zod';
import type { DomainEvent } from './envelope.ts';
import type { TaskAttachments } from '../shared/domain/planner/task-spec.ts';

export const RUN_TRIGGERS = ['api', 'schedule', 'retry'] as const;

const catalogRef = { owner: z.string(), name: z.string() };

/**
 * A task's attachments as the task-driver port has them (hence camelCase inside a snake_case
 * event): references only, never a secret's value. Typed against the port so the two cannot drift.
 */
export const taskAttachmentsSchema: z.ZodType<TaskAttachments> = z.object({
  secrets: z
    .array(
      z.union([
        z.object({ ...catalogRef, as: z.literal('environment_variable'), variable: z.string() }),
        z.object({ ...catalogRef, as: z.literal('file'), path: z.string() }),
      ]),
    )
    .optional(),
  gitRepositories: z
    .array(
      z.object({
        url: z.string(),
        path: z.string(),
        reference: z.string().optional(),
        referenceType: z.enum(['branch', 'tag', 'commit']).optional(),
        onRestart: z.enum(['preserve changes', 'reclone']),
        deployKey: z.object(catalogRef).optional(),
      }),
    )
    .optional(),
  sharedFolders: z.array(z.object({ ...catalogRef, path: z.string(), readOnly: z.boolean() })).optional(),
  configFiles: z.array(z.object({ path: z.string(), content: z.string(), mode: z.number().int() })).optional(),
  extraPackages: z
    .object({
      apt: z.array(z.string()).optional(),
      conda: z.array(z.string()).optional(),
      condaChannels: z.array(z.string()).optional(),
      useMamba: z.boolean().optional(),
      pip: z.array(z.string()).optional(),
      cran: z.array(z.string()).optional(),
    })
    .optional(),
  taskRoleArn: z.string().optional(),
  platformTokenFor: z.string().optional(),
});

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
  /** Secrets by reference, repositories, folders, files, packages, role, token owner. Absent in runs queued before attachments existed. */
  attachments: taskAttachmentsSchema.optional(),
  /** The job attaches a Dask cluster, so its tasks get DASK_SCHEDULER_ADDRESS. Absent in runs queued before it existed: false. */
  dask_cluster: z.boolean().optional(),
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
