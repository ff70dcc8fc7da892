/**
 * What a restarted local control plane does for jobs: with fakes for its ports, so that "it
 * starts nothing again" is a fact about what recovery arms (no launch now, no timer for later),
 * not a wait that would pass a bug acting a little later.
 */
import { describe, expect, it, vi } from 'vitest';
import { NEVER_STARTED_REASON, recoverJobs, type JobRecoveryDeps } from '../../../infra/local/job-recovery.ts';
import type { Run, RunTask } from '../../../shared/domain/run/run-decider.ts';
import type { TaskExit } from '../../../shared/ports/task-driver.ts';

const NOW = new Date('2026-12-06T10:00:00Z');

function task(taskId: string, status: RunTask['status']): RunTask {
  return { rank: 0, taskId, status, exitCode: null, reason: null, ref: null, logStream: null };
}

function run(id: string, status: Run['status'], tasks: RunTask[], notBefore: string | null = null): Run {
  return {
    id, jobId: 'job-1', owner: 'ann', trigger: 'api', attempt: 1, scheduledFor: null, notBefore, status, plan: null, tasks,
    createdAt: '2026-12-06T09:00:00Z', startedAt: null, finishedAt: null, exitCode: null, reason: null,
  };
}

function recovery(options: { runs: Run[]; lost?: TaskExit[]; running?: string[] }) {
  const runs = new Map(options.runs.map((r) => [r.id, r]));
  const reports: Array<{ runId: string; taskId: string; reason: string }> = [];
  const armed: Array<{ key: string; when: Date; action: () => Promise<void> }> = [];
  const launch = vi.fn(async () => undefined);
  const deps = {
    views: {
      list: vi.fn(async () => ({
        views: [{ resource: { id: 'job-1', type: 'job', spec: {}, scheduleSuspended: false, runs: { active: options.runs.map((r) => ({ id: r.id })) } } }],
        cursor: null,
      })),
    },
    jobs: {
      load: vi.fn(async (id: string) => runs.get(id) ?? null),
      report: vi.fn(async (runId: string, command: { taskId: string; reason: string }) => {
        reports.push({ runId, taskId: command.taskId, reason: command.reason });
        const current = runs.get(runId)!;
        runs.set(runId, { ...current, status: 'failed', tasks: current.tasks.map((t) => (t.taskId === command.taskId ? { ...t, status: 'exited' } : t)) });
      }),
      recordFinished: vi.fn(async () => undefined),
    },
    launcher: {
      launch,
      reportExit: vi.fn(async (exit: TaskExit) => deps.jobs.report('run-lost', { taskId: exit.taskId, reason: exit.reason })),
    },
    driver: { recover: vi.fn(async () => options.lost ?? []), running: () => options.running ?? [] },
    scheduler: { put: vi.fn(async () => undefined) },
    timers: { at: (key: string, when: Date, action: () => Promise<void>) => void armed.push({ key, when, action }), cancel: vi.fn() },
    now: () => NOW,
  };
  return { deps: deps as unknown as JobRecoveryDeps, reports, armed, launch, recordFinished: deps.jobs.recordFinished };
}

describe('recoverJobs', () => {
  it('ends a run whose task the crash lost, with the reason, and arms nothing that could start it again', async () => {
    // Prepare
    const lost: TaskExit = { taskId: 'run-lost-0', group: 'run-lost', exitCode: null, signal: null, reason: 'the control plane restarted while the task was running', finishedAt: NOW.toISOString() };
    const { deps, reports, armed, launch } = recovery({ runs: [run('run-lost', 'running', [task('run-lost-0', 'running')])], lost: [lost] });

    // Act
    const summary = await recoverJobs(deps);

    // Assess
    expect(reports).toEqual([{ runId: 'run-lost', taskId: 'run-lost-0', reason: lost.reason }]);
    expect(launch).not.toHaveBeenCalled();
    expect(armed).toEqual([]);
    expect(summary).toEqual({ lostTasks: 1, activeRuns: 1, schedules: 0 });
  });

  it('ends a task recorded as launched that no process ran (the crash came between the two), never starting it', async () => {
    // Prepare
    const { deps, reports, armed, launch, recordFinished } = recovery({ runs: [run('run-gap', 'starting', [task('run-gap-0', 'launched')])] });

    // Act
    await recoverJobs(deps);

    // Assess
    expect(reports).toEqual([{ runId: 'run-gap', taskId: 'run-gap-0', reason: NEVER_STARTED_REASON }]);
    expect(recordFinished).toHaveBeenCalledOnce();
    expect(launch).not.toHaveBeenCalled();
    expect(armed).toEqual([]);
  });

  it('leaves a task that still runs alone', async () => {
    const { deps, reports, armed, launch } = recovery({ runs: [run('run-ok', 'running', [task('run-ok-0', 'running')])], running: ['run-ok-0'] });
    await recoverJobs(deps);
    expect([reports, armed, launch.mock.calls]).toEqual([[], [], []]);
  });

  it('re-arms a queued run (a retry waiting out its backoff) for its time, and launches it then', async () => {
    // Prepare
    const notBefore = '2026-12-06T10:05:00Z';
    const { deps, armed, launch } = recovery({ runs: [run('run-queued', 'queued', [], notBefore)] });

    // Act
    await recoverJobs(deps);
    await armed[0]?.action();

    // Assess
    expect(armed.map(({ key, when }) => ({ key, when: when.toISOString() }))).toEqual([{ key: 'launch:run-queued', when: '2026-12-06T10:05:00.000Z' }]);
    expect(launch).toHaveBeenCalledOnce();
  });
});
