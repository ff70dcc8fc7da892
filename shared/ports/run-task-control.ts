/**
 * Starting and stopping the tasks of a run, as the job-run reactor needs it. Locally the
 * process driver does it (`RunLauncher`); on AWS, ECS (`RunTask`/`StopTask`) does, and task
 * exits come back through the task-state Lambda instead of a callback.
 */
import type { Run } from '../domain/run/run-decider.ts';

export interface RunTaskControl {
  /** Records the run's tasks, then starts them; does nothing for a run that is not queued. */
  launch(run: Run): Promise<void>;
  /** Stops every task of the run that has not exited. */
  stopTasks(run: Run, reason: string): Promise<void>;
}
