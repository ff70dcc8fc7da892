/**
 * The run task control on ECS: what `RunLauncher` is locally, with ECS in place of the process
 * driver. A run's tasks are recorded on the run (`RecordTasksLaunched`) before any RunTask, so
 * the task-state Lambda never hears of a task the run does not know; a task whose RunTask
 * fails for good is reported exited at once. Tasks that started are reported by the task-state
 * Lambda (ECS "Task State Change" events), not here: RunTask only says the task is PENDING.
 *
 * The leader address: every task gets `SATURN_JOB_LEADER` = the task id of rank 0
 * (`<run id>-0`). That names the leader; it does not resolve yet. Resolvable names come with
 * Cloud Map registration, which arrives with the Dask cluster work (DESIGN.md: a stable
 * address per scheduler), and then only this adapter's `TaskNetwork` changes.
 */
import { ListTasksCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { JobRunService } from '../../../app/job-run-service.ts';
import type { Clock } from '../../../ports/platform-clock.ts';
import type { RunTaskControl } from '../../../ports/run-task-control.ts';
import { runTasks, runTaskId, type TaskNetwork } from '../../../domain/planner/run-tasks.ts';
import type { Run } from '../../../domain/run/run-decider.ts';
import type { EcsTaskLauncher, LaunchOutcome } from './ecs-task-launcher.ts';
import { startedByFor } from './ecs-task-launcher.ts';
import { errorMessage } from '../sdk-errors.ts';

const ACTOR = 'system:runner';

/** On ECS a run's tasks find their leader by its task id (see the file comment). */
export const ECS_TASK_NETWORK: TaskNetwork = { leaderAddress: (runId) => runTaskId(runId, 0) };

export interface EcsRunTaskControlDeps {
  client: ECSClient;
  cluster: string;
  launcher: Pick<EcsTaskLauncher, 'launch' | 'stop'>;
  jobs: Pick<JobRunService, 'report'>;
  clock: Clock;
  /** Variables every task gets from the platform (SATURN_BASE_URL, ...). */
  platformEnvironment?: Record<string, string>;
  /** How tasks reach each other; default ECS_TASK_NETWORK (ecs-platform.ts adds the Dask scheduler's Cloud Map name). */
  network?: TaskNetwork;
}

export class EcsRunTaskControl implements RunTaskControl {
  constructor(private readonly deps: EcsRunTaskControlDeps) {}

  async launch(run: Run): Promise<void> {
    if (run.status !== 'queued' || !run.plan) return;
    const specs = runTasks({ runId: run.id, jobId: run.jobId, jobName: run.jobId, owner: run.owner }, run.plan, this.deps.network ?? ECS_TASK_NETWORK, this.deps.platformEnvironment ?? {});
    const recorded = await this.deps.jobs.report(run.id, {
      kind: 'RecordTasksLaunched',
      tasks: specs.map((s, rank) => ({ rank, taskId: s.taskId })),
      ...this.meta(),
    });
    // Cancelled meanwhile, or recorded with other tasks: nothing of ours to start. A racing
    // launcher that recorded the same tasks is harmless: the clientToken starts each task once.
    if (!recorded || recorded.status !== 'starting' || recorded.tasks.length !== specs.length) return;
    let outcomes: LaunchOutcome[];
    try {
      // CPU sizes run on FARGATE (FARGATE_SPOT for a spot plan), GPU sizes on the GPU provider.
      const { attachments } = run.plan;
      outcomes = await this.deps.launcher.launch(specs, {
        image: run.plan.image,
        instance_type: run.plan.instance_type,
        spot: run.plan.spot === true,
        ...(attachments?.taskRoleArn ? { taskRoleArn: attachments.taskRoleArn } : {}),
        ...(attachments ? { attachments } : {}),
      });
    } catch (error) {
      // Nothing could be tried (unknown size, no task definition): every task failed to start.
      const reason = errorMessage(error);
      outcomes = specs.map((s) => ({ status: 'failed', taskId: s.taskId, reason }));
    }
    for (const outcome of outcomes) {
      if (outcome.status !== 'failed') continue;
      await this.deps.jobs.report(run.id, { kind: 'ReportTaskExited', taskId: outcome.taskId, exitCode: null, reason: `could not start: ${outcome.reason}`, ...this.meta() });
    }
  }

  /** Stops every ECS task of the run that ECS still means to run (PENDING or RUNNING). */
  async stopTasks(run: Run, reason: string): Promise<void> {
    for (const taskArn of await this.liveTaskArns(run.id)) await this.deps.launcher.stop(taskArn, reason);
  }

  /** The ARNs of the run's tasks whose desired status is RUNNING: started by the launcher with the run id. */
  async liveTaskArns(runId: string): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.deps.client.send(
        new ListTasksCommand({ cluster: this.deps.cluster, startedBy: startedByFor(runId), desiredStatus: 'RUNNING', ...(nextToken ? { nextToken } : {}) }),
      );
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return arns;
  }

  private meta(): { at: string; actor: string } {
    return { at: this.deps.clock.now().toISOString(), actor: ACTOR };
  }
}
