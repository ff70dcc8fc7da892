/** A task's `config_files`, written at their mapped paths with their modes before the start script runs. */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TaskAttachments } from '../../../shared/ports/task-driver.ts';
import type { PreparationContext } from './preparation-step.ts';

export async function writeConfigFiles(context: PreparationContext, files: NonNullable<TaskAttachments['configFiles']>): Promise<void> {
  for (const file of files) {
    const target = context.tree.hostPath(file.path, 'configFiles.path');
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content, { mode: file.mode });
    // The mode given at creation is filtered by the umask, and ignored for a file that exists.
    await chmod(target, file.mode);
    context.say(`config file ${file.path} (mode 0${file.mode.toString(8)})`);
  }
}
