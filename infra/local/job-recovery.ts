/**
 * What the local runtime does for jobs on start, after the feed caught up: finish the tasks a
 * killed predecessor lost (never restarting them), re-arm schedules, backoffs and timeouts
 * (timers do not survive a restart), and tell jobs about runs that ended unnoticed.
 */
import type { RecipeViews } from '../../shared/ports/recipe-views.ts';
import type { JobScheduler } from '../../shared/ports/job-scheduler.ts';
import type { Timers } from '../../shared/ports/timers.ts';
import type { JobRunService } from '../../shared/app/job-run-service.ts';
import type { RunLauncher } from '../../shared/app/run-launcher.ts';
import type { LocalProcessDriver } from './process-driver/local-process-driver.ts';
import { runFinished } from '../../shared/domain/run/run-decider.ts';

export const NEVER_STARTED_REASON = 'the control plane restarted and no process of the task was running; it was not started again';

export interface JobRecoveryDeps {
  views: RecipeViews;
  jobs: JobRunService;
  launcher: RunLauncher;
  driver: LocalProcessDriver;
  scheduler: JobScheduler;
  timers: Timers;
  now(): Date;
}

export async function recoverJobs(deps: JobRecoveryDeps): Promise<{ lostTasks: number; activeRuns: number; schedules: number }> {
  const lost = await deps.driver.recover();
  for (const exit of lost) await deps.launcher.reportExit(exit);
  let activeRuns = 0;
  let schedules = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.views.list({ owners: 'all', type: 'job', pageSize: 100, cursor });
    for (const { resource: job } of page.views) {
      if (job.type !== 'job') continue;
      const { schedule } = job.spec;
      if (schedule) {
        schedules++;
        // Specs recorded before `schedule_timezone` had a default have none.
        await deps.scheduler.put({ jobId: job.id, schedule, timeZone: job.spec.schedule_timezone ?? 'UTC', suspended: job.scheduleSuspended });
      }
      for (const { id } of job.runs.active) {
        activeRuns++;
        await recoverRun(deps, id);
      }
    }
    cursor = page.cursor ?? undefined;
  } while (cursor);
  return { lostTasks: lost.length, activeRuns, schedules };
}

async function recoverRun(deps: JobRecoveryDeps, runId: string): Promise<void> {
  const run = await deps.jobs.load(runId);
  if (!run) return;
  if (run.status === 'queued') {
    deps.timers.at(`launch:${run.id}`, run.notBefore ? new Date(run.notBefore) : deps.now(), async () => {
      const current = await deps.jobs.load(run.id);
      if (current) await deps.launcher.launch(current);
    });
    return;
  }
  // Tasks recorded as launched that no process ever ran (the crash came between the two), or
  // whose exit was never recorded: none of them runs now, so each is ended, with the reason.
  const running = new Set(deps.driver.running());
  for (const task of run.tasks) {
    if (task.status !== 'exited' && !running.has(task.taskId)) {
      await deps.jobs.report(run.id, { kind: 'ReportTaskExited', taskId: task.taskId, exitCode: null, reason: NEVER_STARTED_REASON, at: deps.now().toISOString(), actor: 'system:runner' });
    }
  }
  const current = await deps.jobs.load(run.id);
  if (current && runFinished(current)) await deps.jobs.recordFinished(current);
}
