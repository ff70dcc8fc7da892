/**
 * The tasks of a run: `scale` of them, ranked from 0, each told its place the way Saturn
 * Cloud tells it (SATURN_JOB_RANK, SATURN_JOB_SCALE, SATURN_JOB_LEADER, SATURN_JOB_RUN), so
 * code written for Saturn Cloud runs unchanged. Rank 0 is the leader.
 */
import type { TaskSpec } from './task-spec.ts';
import type { RunPlan } from '../../../events/run-events.ts';
import { DASK_ADDRESS_VARIABLE } from './dask-plan.ts';

export interface RunIdentity {
  runId: string;
  jobId: string;
  jobName: string;
  owner: string;
}

export function runTaskId(runId: string, rank: number): string {
  return `${runId}-${rank}`;
}

/** `runTaskId` read back: the run (32 hex digits) and rank, or undefined for any other id. */
export function parseRunTaskId(taskId: string): { runId: string; rank: number } | undefined {
  const match = /^([0-9a-f]{32})-(\d+)$/.exec(taskId);
  return match ? { runId: match[1]!, rank: Number(match[2]) } : undefined;
}

/** How tasks reach each other: locally the leader is on this machine; on AWS the adapter overrides it. */
export interface TaskNetwork {
  leaderAddress(runId: string): string;
  /**
   * Where a job's Dask scheduler is reached, when that is known before it runs (on AWS: its
   * Cloud Map name). Absent locally, where the address is a free port known only at launch
   * (shared/app/dask-task-environment.ts adds it then).
   */
  daskSchedulerAddress?(jobId: string): string;
}

export function runTasks(run: RunIdentity, plan: RunPlan, network: TaskNetwork, platformEnvironment: Record<string, string> = {}): TaskSpec[] {
  return Array.from({ length: plan.scale }, (_, rank) => ({
    taskId: runTaskId(run.runId, rank),
    group: run.runId,
    command: plan.command,
    ...(plan.start_script ? { startScript: plan.start_script } : {}),
    ...(plan.working_directory ? { workingDirectory: plan.working_directory } : {}),
    environment: {
      ...plan.environment,
      ...platformEnvironment,
      SATURN_JOB_RANK: String(rank),
      SATURN_JOB_SCALE: String(plan.scale),
      SATURN_JOB_LEADER: network.leaderAddress(run.runId),
      SATURN_JOB_RUN: run.runId,
      ...(plan.dask_cluster && network.daskSchedulerAddress ? { [DASK_ADDRESS_VARIABLE]: network.daskSchedulerAddress(run.jobId) } : {}),
    },
    labels: { owner: run.owner, resource: run.jobId, job: run.jobName, run: run.runId, rank: String(rank) },
    ...(plan.attachments ? { attachments: plan.attachments } : {}),
    ...(plan.dask_cluster ? { daskCluster: run.jobId } : {}),
  }));
}
