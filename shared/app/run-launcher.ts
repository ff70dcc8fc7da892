/**
 * Starts and stops the tasks of runs through the task driver, and turns the driver's exit
 * reports into run events. The tasks are recorded on the run before any process starts, so
 * an exit can never arrive for a task the run does not know.
 */
import type { TaskDriver, TaskExit } from '../ports/task-driver.ts';
import type { Clock } from '../ports/platform-clock.ts';
import type { JobRunService } from './job-run-service.ts';
import { parseRunTaskId, runTasks, type TaskNetwork } from '../domain/planner/run-tasks.ts';
import type { Run } from '../domain/run/run-decider.ts';
import type { RunTaskControl } from '../ports/run-task-control.ts';

export interface RunLauncherDeps {
  driver: TaskDriver;
  jobs: JobRunService;
  clock: Clock;
  network: TaskNetwork;
  /** Variables every task gets from the platform (SATURN_BASE_URL, ...). */
  platformEnvironment: Record<string, string>;
}

export class RunLauncher implements RunTaskControl {
  /** Exit reports being recorded: a clean stop waits for them before closing the store. */
  private readonly reporting = new Set<Promise<void>>();

  constructor(private readonly deps: RunLauncherDeps) {
    deps.driver.onExit((exit) => {
      const report = this.reportExit(exit).finally(() => this.reporting.delete(report));
      this.reporting.add(report);
    });
  }

  /** Resolves once every exit reported so far is recorded. */
  async idle(): Promise<void> {
    while (this.reporting.size > 0) await Promise.all([...this.reporting]);
  }

  async launch(run: Run): Promise<void> {
    if (run.status !== 'queued' || !run.plan) return;
    const specs = runTasks({ runId: run.id, jobId: run.jobId, jobName: run.jobId, owner: run.owner }, run.plan, this.deps.network, this.deps.platformEnvironment);
    const recorded = await this.deps.jobs.report(run.id, {
      kind: 'RecordTasksLaunched',
      tasks: specs.map((s, rank) => ({ rank, taskId: s.taskId })),
      ...this.meta(),
    });
    // Another launcher (a redelivery) got here first; its tasks are the run's.
    if (!recorded || recorded.tasks.length !== specs.length || recorded.status === 'queued') return;
    // Side by side: a task's launch lasts as long as its preparation (clones, package installs).
    await Promise.all(
      specs.map(async (spec) => {
        try {
          await this.deps.driver.launch(spec);
          await this.deps.jobs.report(run.id, { kind: 'ReportTaskStarted', taskId: spec.taskId, ...this.meta() });
        } catch (error) {
          await this.deps.jobs.report(run.id, { kind: 'ReportTaskExited', taskId: spec.taskId, exitCode: null, reason: `could not start: ${(error as Error).message}`, ...this.meta() });
        }
      }),
    );
  }

  /** Stops every task of the run that has not exited. */
  async stopTasks(run: Run, reason: string): Promise<void> {
    const running = new Set(this.deps.driver.running());
    for (const task of run.tasks) {
      if (task.status !== 'exited' && running.has(task.taskId)) await this.deps.driver.stop(task.taskId, reason);
    }
  }

  async reportExit(exit: TaskExit): Promise<void> {
    const runId = parseRunTaskId(exit.taskId)?.runId;
    if (!runId) return;
    try {
      await this.deps.jobs.report(runId, { kind: 'ReportTaskExited', taskId: exit.taskId, exitCode: exit.exitCode, reason: exit.reason, at: exit.finishedAt, actor: 'system:runner' });
    } catch (error) {
      console.error(JSON.stringify({ level: 'error', message: 'could not record a task exit', task: exit.taskId, error: String(error) }));
    }
  }

  private meta(): { at: string; actor: string } {
    return { at: this.deps.clock.now().toISOString(), actor: 'system:runner' };
  }
}
