import type { LocalProcessDriver } from '../../../../infra/local/process-driver/local-process-driver.ts';
import type { TaskExit } from '../../../../shared/ports/task-driver.ts';

/** The exit of a task of `driver`, whether it is reported before or after it is asked for. */
export function exitsOf(driver: LocalProcessDriver): (taskId: string) => Promise<TaskExit> {
  const exits = new Map<string, TaskExit>();
  const waiting = new Map<string, (exit: TaskExit) => void>();
  driver.onExit((exit) => {
    exits.set(exit.taskId, exit);
    waiting.get(exit.taskId)?.(exit);
  });
  return (taskId) => new Promise<TaskExit>((resolve) => (exits.has(taskId) ? resolve(exits.get(taskId)!) : waiting.set(taskId, resolve)));
}
