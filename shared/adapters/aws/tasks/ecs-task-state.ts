/**
 * What an ECS task says about a run: which run and task it is, and the report its state makes.
 * The same reading serves the "ECS Task State Change" events (whose `detail` is the task) and
 * DescribeTasks answers (the reconciler), so a lost event repairs to the same report.
 *
 * A Cassini task carries its run in `group` (`run:<run id>`) and `startedBy` (the run id), and
 * its rank in the container environment (`SATURN_JOB_RANK`); its task id is `<run id>-<rank>`
 * (see ecs-task-launcher.ts and run-tasks.ts). Anything else in the cluster is not ours.
 */
import type { RunCommand } from '../../../domain/run/run-decider.ts';
import { runTaskId } from '../../../domain/planner/run-tasks.ts';

const RUN_ID = /^[0-9a-f]{32}$/;
const GROUP_PREFIX = 'run:';
/**
 * MAIN_CONTAINER of ecs-task-definitions.ts, repeated rather than imported: that module sends
 * task-definition commands, and the task-state Lambda's bundle (and role) should not carry them.
 */
export const TASK_CONTAINER = 'main';
/**
 * The variable that carries the id of a job task's SATURN_TOKEN (task-token-files.ts) in RunTask's
 * overrides: an id is what records may keep, and it lets whoever sees the task stop revoke the token.
 */
export const TOKEN_ID_VARIABLE = 'CASSINI_TOKEN_ID';

/** The family of a task definition ARN (`…:task-definition/<family>:<revision>`). */
export function familyOf(taskDefinitionArn: string): string | undefined {
  return /:task-definition\/([^:/]+):\d+$/.exec(taskDefinitionArn)?.[1];
}

/** The awslogs stream of a task of this family (the prefix is the family, see ecs-task-definitions.ts). */
export function taskLogStream(family: string, taskArn: string): string {
  return `${family}/${TASK_CONTAINER}/${taskArn.slice(taskArn.lastIndexOf('/') + 1)}`;
}

/** The fields read here, as both ECS's API and its events spell them. */
export interface EcsTaskFacts {
  taskArn?: string;
  taskDefinitionArn?: string;
  group?: string;
  startedBy?: string;
  lastStatus?: string;
  stopCode?: string;
  stoppedReason?: string;
  createdAt?: string | Date;
  startedAt?: string | Date;
  stoppedAt?: string | Date;
  overrides?: { containerOverrides?: Array<{ name?: string; environment?: Array<{ name?: string; value?: string }> }> };
  containers?: Array<{ name?: string; exitCode?: number | null; reason?: string }>;
}

export interface RunTaskRef {
  runId: string;
  rank: number;
  taskId: string;
}

/** The run task an ECS task is, or undefined for a task Cassini did not start. */
export function runTaskOf(task: EcsTaskFacts): RunTaskRef | undefined {
  const fromGroup = task.group?.startsWith(GROUP_PREFIX) ? task.group.slice(GROUP_PREFIX.length) : undefined;
  const runId = [fromGroup, task.startedBy].find((id): id is string => id !== undefined && RUN_ID.test(id));
  if (!runId) return undefined;
  const overrides = task.overrides?.containerOverrides ?? [];
  const main = overrides.find((o) => o.name === TASK_CONTAINER) ?? overrides[0];
  const rankText = main?.environment?.find((e) => e.name === 'SATURN_JOB_RANK')?.value;
  if (rankText === undefined || !/^\d+$/.test(rankText)) return undefined;
  const rank = Number(rankText);
  return { runId, rank, taskId: runTaskId(runId, rank) };
}

/** The id of the task's SATURN_TOKEN, when the launcher gave it one. */
export function tokenIdOf(task: EcsTaskFacts): string | undefined {
  const overrides = task.overrides?.containerOverrides ?? [];
  const main = overrides.find((o) => o.name === TASK_CONTAINER) ?? overrides[0];
  return main?.environment?.find((e) => e.name === TOKEN_ID_VARIABLE)?.value || undefined;
}

/** Why a stopped task ended, in words its owner can act on. */
export function stopReason(task: EcsTaskFacts, exitCode: number | null): string {
  const exitedByItself = task.stopCode === undefined || task.stopCode === 'EssentialContainerExited';
  if (exitedByItself && exitCode !== null) return exitCode === 0 ? 'succeeded' : `exited with code ${exitCode}`;
  const container = mainContainer(task);
  const words = [task.stopCode, task.stoppedReason ?? container?.reason].filter(Boolean).join(': ');
  return words || 'stopped without a reason';
}

/**
 * The run command an ECS task's state makes: RUNNING → ReportTaskStarted (ref: the task ARN), STOPPED →
 * ReportTaskExited (exit code null when the container has none: it never ran, or was killed
 * before it could say). Other states (PROVISIONING, PENDING, DEPROVISIONING…) report nothing.
 */
export function reportOf(task: EcsTaskFacts, ref: RunTaskRef, at: string): RunCommand | undefined {
  const meta = { at, actor: 'system:ecs' };
  // The ARN is the task's ref; its log stream is recorded too, since ECS forgets a stopped task
  // within about an hour and the stream could no longer be worked out from the ARN then.
  if (task.lastStatus === 'RUNNING') {
    const family = task.taskDefinitionArn ? familyOf(task.taskDefinitionArn) : undefined;
    return {
      kind: 'ReportTaskStarted',
      taskId: ref.taskId,
      ...(task.taskArn ? { ref: task.taskArn } : {}),
      ...(task.taskArn && family ? { logStream: taskLogStream(family, task.taskArn) } : {}),
      ...meta,
    };
  }
  if (task.lastStatus !== 'STOPPED') return undefined;
  const exitCode = mainContainer(task)?.exitCode ?? null;
  return { kind: 'ReportTaskExited', taskId: ref.taskId, exitCode, reason: stopReason(task, exitCode), ...meta };
}

/** When the state began, by ECS's clock: the start of a RUNNING task, the end of a STOPPED one. */
export function stateTime(task: EcsTaskFacts): string | undefined {
  const time = task.lastStatus === 'STOPPED' ? task.stoppedAt : task.lastStatus === 'RUNNING' ? task.startedAt : undefined;
  return time === undefined ? undefined : new Date(time).toISOString();
}

function mainContainer(task: EcsTaskFacts) {
  return task.containers?.find((c) => c.name === TASK_CONTAINER) ?? task.containers?.[0];
}
