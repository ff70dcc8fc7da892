/**
 * One pass of the reconciler: for every job with active runs, what should be happening is
 * compared with what is, and the difference repaired. Each repair is a command the run or job
 * decides idempotently, so a pass that overlaps another (or the reactor) does no harm.
 *
 * - A queued run whose backoff (`notBefore`) has passed is launched (unless its owner lost access
 *   to an attachment meanwhile: it fails instead, JobRunService.launchQueued): the reactor leaves later
 *   launches to this pass (DeferredTimers). A queued run without a backoff is the reactor's,
 *   and is launched here only once it has waited `LAUNCH_GRACE_MS` (a missed reaction).
 * - A running run past `startedAt + timeout` is timed out (the reactor then stops its tasks).
 * - An ended run its job still lists as active is told to the job (which may retry it).
 * - A starting or running run, `LOST_AFTER_MS` after its tasks could have been launched, is
 *   compared with ECS: a task ECS stopped is reported as ECS saw it (a lost state-change
 *   event), a task ECS runs but the run still calls launched is reported started, and a task
 *   ECS has no record of is reported exited without an exit code. Either way a task reported
 *   exited here has its SATURN_TOKEN revoked and its token file deleted (the task-state event
 *   that would have done it was lost, or never came).
 */
import type { JobRunService } from '../../shared/app/job-run-service.ts';
import type { RunTaskControl } from '../../shared/ports/run-task-control.ts';
import type { RecipeViews } from '../../shared/ports/recipe-views.ts';
import type { Clock } from '../../shared/ports/platform-clock.ts';
import type { EcsRunInspector } from '../../shared/adapters/aws/tasks/ecs-run-inspector.ts';
import { reportOf, runTaskOf, tokenIdOf, type EcsTaskFacts } from '../../shared/adapters/aws/tasks/ecs-task-state.ts';
import type { TaskTokenFiles } from '../../shared/adapters/aws/tasks/task-token-files.ts';
import { runFinished, type Run } from '../../shared/domain/run/run-decider.ts';
import { jsonConsole, type Log } from '../observability.ts';

export const LOST_AFTER_MS = 2 * 60_000;
/**
 * A task launched this long ago and still not running is counted (`waitingToStart`): ECS keeps
 * a task in PROVISIONING while no capacity takes it (a GPU type whose group cannot launch), and
 * says nothing until it gives up; the count is alarmed (infra/aws/constructs/observability.ts).
 * A deployment's or workspace's replica created this long ago and still PROVISIONING is counted
 * the same way (`serviceTasksWaitingToStart`): its service retries, but nothing else tells.
 */
export const WAITING_TO_START_AFTER_MS = 15 * 60_000;
export const LAUNCH_GRACE_MS = 60_000;
export const LOST_REASON = 'lost: ECS has no record of the task';
const PAGE_SIZE = 100;
const ACTOR = 'system:reconciler';

export interface ReconcileDeps {
  views: Pick<RecipeViews, 'list'>;
  jobs: Pick<JobRunService, 'load' | 'report' | 'recordFinished' | 'launchQueued'>;
  control: RunTaskControl;
  ecs: Pick<EcsRunInspector, 'liveTasks' | 'stoppedTasksOf' | 'serviceTasksWaitingToStart'>;
  clock: Clock;
  /** Job tasks' SATURN_TOKEN files; without them no token is revoked here. */
  tokenFiles?: Pick<TaskTokenFiles, 'remove'>;
  /** Where a run that fails to reconcile is logged; JSON lines on the console by default. */
  log?: Pick<Log, 'error'>;
}

export interface ReconcileSummary {
  activeRuns: number;
  launched: number;
  timedOut: number;
  finished: number;
  /** Task reports made from what ECS knows (started, stopped, lost). */
  repaired: number;
  /** Tasks launched WAITING_TO_START_AFTER_MS ago or more that are not running yet. */
  waitingToStart: number;
  /** Deployments' and workspaces' tasks created WAITING_TO_START_AFTER_MS ago or more, still PROVISIONING. */
  serviceTasksWaitingToStart: number;
  failed: number;
}

export async function reconcile(deps: ReconcileDeps): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = { activeRuns: 0, launched: 0, timedOut: 0, finished: 0, repaired: 0, waitingToStart: 0, serviceTasksWaitingToStart: 0, failed: 0 };
  // Listed at most once per pass, and only when some run needs it.
  let live: Promise<Map<string, EcsTaskFacts>> | undefined;
  const liveTasks = () => (live ??= deps.ecs.liveTasks());
  let cursor: string | undefined;
  do {
    const page = await deps.views.list({ owners: 'all', type: 'job', pageSize: PAGE_SIZE, ...(cursor ? { cursor } : {}) });
    for (const { resource: job } of page.views) {
      if (job.type !== 'job') continue;
      for (const { id } of job.runs.active) {
        summary.activeRuns++;
        try {
          await reconcileRun(deps, id, liveTasks, summary);
        } catch (error) {
          summary.failed++;
          (deps.log ?? jsonConsole).error('could not reconcile a run', { job: job.id, run: id, error });
        }
      }
    }
    cursor = page.cursor ?? undefined;
  } while (cursor);
  const createdBefore = new Date(deps.clock.now().getTime() - WAITING_TO_START_AFTER_MS);
  try {
    summary.serviceTasksWaitingToStart = await deps.ecs.serviceTasksWaitingToStart(createdBefore);
  } catch (error) {
    // The runs' repairs are done; the next pass counts again.
    summary.failed++;
    (deps.log ?? jsonConsole).error('could not count service tasks waiting to start', { error });
  }
  return summary;
}

async function reconcileRun(deps: ReconcileDeps, runId: string, liveTasks: () => Promise<Map<string, EcsTaskFacts>>, summary: ReconcileSummary): Promise<void> {
  const run = await deps.jobs.load(runId);
  if (!run) return;
  const now = deps.clock.now();
  const meta = { at: now.toISOString(), actor: ACTOR };
  if (runFinished(run)) {
    await deps.jobs.recordFinished(run);
    summary.finished++;
    return;
  }
  if (run.status === 'queued') {
    const due = run.notBefore ? Date.parse(run.notBefore) : Date.parse(run.createdAt) + LAUNCH_GRACE_MS;
    if (due <= now.getTime() && (await deps.jobs.launchQueued(run, deps.control, ACTOR)) === 'launched') summary.launched++;
    return;
  }
  const deadline = timeoutDeadline(run);
  if (deadline !== undefined && deadline <= now.getTime()) {
    await deps.jobs.report(run.id, { kind: 'TimeOutRun', ...meta });
    summary.timedOut++;
    return;
  }
  const sinceLaunch = now.getTime() - launchedNoLaterThan(run);
  if (sinceLaunch >= WAITING_TO_START_AFTER_MS) summary.waitingToStart += run.tasks.filter((t) => t.status === 'launched').length;
  if (sinceLaunch < LOST_AFTER_MS) return;
  const pending = run.tasks.filter((t) => t.status !== 'exited');
  if (pending.length === 0) return;
  const live = await liveTasks();
  const missing = pending.filter((t) => !live.has(t.taskId));
  const stopped = missing.length > 0 ? await deps.ecs.stoppedTasksOf(run.id) : new Map<string, EcsTaskFacts>();
  for (const task of pending) {
    const ecsTask = live.get(task.taskId) ?? stopped.get(task.taskId);
    const ref = ecsTask ? runTaskOf(ecsTask) : undefined;
    const command = ecsTask && ref ? reportOf(ecsTask, ref, meta.at) : { kind: 'ReportTaskExited' as const, taskId: task.taskId, exitCode: null, reason: LOST_REASON, ...meta };
    // A task ECS still runs, and the run knows it runs (or ECS has not started it yet): nothing to repair.
    if (!command || (command.kind === 'ReportTaskStarted' && task.status === 'running')) continue;
    await deps.jobs.report(run.id, { ...command, actor: ACTOR });
    summary.repaired++;
    // A vanished task's token id is in no ECS record: the token file's tag names it.
    if (command.kind === 'ReportTaskExited') await deps.tokenFiles?.remove(task.taskId, ecsTask ? tokenIdOf(ecsTask) : undefined);
  }
}

function timeoutDeadline(run: Run): number | undefined {
  const timeout = run.plan?.timeout_seconds;
  if (run.status !== 'running' || !timeout || !run.startedAt) return undefined;
  return Date.parse(run.startedAt) + timeout * 1000;
}

/** The latest time the run's tasks could have been launched: its start, or else its creation or backoff. */
function launchedNoLaterThan(run: Run): number {
  if (run.startedAt) return Date.parse(run.startedAt);
  return Math.max(Date.parse(run.createdAt), run.notBefore ? Date.parse(run.notBefore) : 0);
}
