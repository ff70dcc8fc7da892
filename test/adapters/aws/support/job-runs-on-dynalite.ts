/** Jobs and runs on an in-memory dynalite, for the tests of the AWS handlers. */
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../../../infra/local/embedded-dynamodb.ts';
import { DynamoEventStore } from '../../../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoRecipeViews } from '../../../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { DynamoRunViews } from '../../../../shared/adapters/dynamodb/dynamodb-run-views.ts';
import { DynamoCheckpoints } from '../../../../shared/adapters/dynamodb/dynamodb-checkpoints.ts';
import { runCommand } from '../../../../shared/app/command-runner.ts';
import { resourceModel } from '../../../../shared/app/resource-model.ts';
import { JobRunService } from '../../../../shared/app/job-run-service.ts';
import { typedRecipe } from '../../../domain/support/typed-recipe.ts';
import { resourceStreamId } from '../../../../shared/domain/resource/resource-identity.ts';
import type { ResourceState } from '../../../../shared/domain/resource/resource-decider.ts';
import type { RunPlan } from '../../../../events/run-events.ts';
import type { Run } from '../../../../shared/domain/run/run-decider.ts';

export interface JobRunsFixture {
  dynamo: EmbeddedDynamo;
  store: DynamoEventStore;
  views: DynamoRecipeViews;
  runViews: DynamoRunViews;
  checkpoints: DynamoCheckpoints;
  jobs: JobRunService;
  /** The time every command is made at; tests move it. */
  clock: { now: () => Date; set: (iso: string) => void };
}

export async function startJobRuns(start = '2026-01-01T00:00:00.000Z'): Promise<JobRunsFixture> {
  const dynamo = await startEmbeddedDynamo();
  const store = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
  const views = new DynamoRecipeViews(dynamo.client, dynamo.tables.views);
  const runViews = new DynamoRunViews(dynamo.client, dynamo.tables.views);
  const checkpoints = new DynamoCheckpoints(dynamo.client, dynamo.tables.views);
  let now = new Date(start);
  const clock = { now: () => now, set: (iso: string) => void (now = new Date(iso)) };
  let counter = 0;
  const random = { bytes: (count: number) => Uint8Array.from({ length: count }, (_, i) => (i === count - 1 ? ++counter : 0xab) & 0xff) };
  const jobs = new JobRunService({ store, runViews, clock, random });
  return { dynamo, store, views, runViews, checkpoints, jobs, clock };
}

/** Applies a job recipe as `ann`; returns the job's id and stream. */
export async function createJob(f: JobRunsFixture, name: string, spec: Record<string, unknown> = {}): Promise<{ id: string; streamId: string }> {
  const model = resourceModel(resourceStreamId('job', 'ann', name));
  const parsed = typedRecipe({ type: 'job', spec: { name, command: 'python train.py', ...spec } }, { caller: 'ann' });
  const outcome = await runCommand(f.store, model, { kind: 'ApplyRecipe', type: 'job', spec: parsed.spec, createOnly: false, at: f.clock.now().toISOString(), actor: 'ann' });
  const state = outcome.state as ResourceState;
  return { id: state.live!.id, streamId: model.streamId };
}

export const PLAN: RunPlan = {
  command: 'python train.py',
  environment: {},
  image: 'public.ecr.aws/saturncloud/saturn-python:2024.08.01',
  instance_type: 'medium',
  scale: 1,
  timeout_seconds: null,
  start_script: null,
  working_directory: null,
};

/** A run queued directly on its stream (what the reactor does for a JobRunRequested). */
export async function queueRun(f: JobRunsFixture, runId: string, jobId: string, plan: Partial<RunPlan> = {}, notBefore: string | null = null): Promise<Run> {
  const state = await f.jobs.report(runId, {
    kind: 'QueueRun',
    runId,
    jobId,
    owner: 'ann',
    trigger: 'api',
    attempt: 1,
    scheduledFor: null,
    notBefore,
    plan: { ...PLAN, ...plan },
    at: f.clock.now().toISOString(),
    actor: 'ann',
  });
  return state!;
}

/** Records the run's tasks and reports each started: a running run. */
export async function startRun(f: JobRunsFixture, run: Run): Promise<Run> {
  const meta = { at: f.clock.now().toISOString(), actor: 'system:runner' };
  const tasks = Array.from({ length: run.plan!.scale }, (_, rank) => ({ rank, taskId: `${run.id}-${rank}` }));
  let state = await f.jobs.report(run.id, { kind: 'RecordTasksLaunched', tasks, ...meta });
  for (const t of tasks) state = await f.jobs.report(run.id, { kind: 'ReportTaskStarted', taskId: t.taskId, ...meta });
  return state!;
}
