/**
 * A task's secrets, locally: each value read from the secret store when the task starts, given
 * to the process as an environment variable or written as a file of mode 0600 at its mapped
 * path. Values go to the process and the file only; the log says which secret went where.
 */
import type { CatalogRef, SecretMount } from '../../../shared/ports/task-driver.ts';
import type { SecretReader } from '../../../shared/ports/secret-store.ts';
import { PreparationFailed, type PreparationContext } from './preparation-step.ts';
import type { TaskFiles } from './task-files.ts';

const SECRET_FILE_MODE = 0o600;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Reads one value; a secret without one fails the start. */
export async function readSecret(reader: SecretReader | undefined, ref: CatalogRef): Promise<string> {
  if (reader === undefined) throw new PreparationFailed(`the task needs the secret ${ref.owner}/${ref.name}, and this driver was given no secret store`);
  let value: string | undefined;
  try {
    value = await reader.get(ref);
  } catch {
    // The store's own error may quote what it read; the task's reason only names the secret.
    throw new PreparationFailed(`the secret ${ref.owner}/${ref.name} could not be read`);
  }
  if (value === undefined) throw new PreparationFailed(`the secret ${ref.owner}/${ref.name} does not exist (deleted after the recipe was applied?); register it again with PUT /api/secrets/${ref.name}`);
  return value;
}

/** Writes the file secrets and returns the environment-variable ones, by variable name. */
export async function mountSecrets(context: PreparationContext, secrets: readonly SecretMount[], reader: SecretReader | undefined, files: TaskFiles): Promise<Record<string, string>> {
  const environment: Record<string, string> = {};
  for (const secret of secrets) {
    const value = await readSecret(reader, secret);
    const name = `${secret.owner}/${secret.name}`;
    if (secret.as === 'environment_variable') {
      if (!ENV_NAME.test(secret.variable)) throw new PreparationFailed(`the secret ${name} is attached as ${JSON.stringify(secret.variable)}, which is not an environment variable name`);
      environment[secret.variable] = value;
      context.say(`secret ${name}: environment variable ${secret.variable}`);
    } else {
      const file = context.tree.hostPath(secret.path, 'secrets.path');
      // As the task's user when it has one: readable by that user only, and a link planted in a persistent home leads nowhere it could not write.
      await files.writeFile(file, value, SECRET_FILE_MODE);
      context.say(`secret ${name}: file ${secret.path} (mode 0600)`);
    }
  }
  return environment;
}
