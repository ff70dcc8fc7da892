/** A task's `config_files`, written at their mapped paths with their modes before the start script runs. */
import type { TaskAttachments } from '../../../shared/ports/task-driver.ts';
import type { PreparationContext } from './preparation-step.ts';
import type { TaskFiles } from './task-files.ts';

export async function writeConfigFiles(context: PreparationContext, configFiles: NonNullable<TaskAttachments['configFiles']>, files: TaskFiles): Promise<void> {
  for (const file of configFiles) {
    const target = context.tree.hostPath(file.path, 'configFiles.path');
    await files.writeFile(target, file.content, file.mode);
    context.say(`config file ${file.path} (mode 0${file.mode.toString(8)})`);
  }
}
