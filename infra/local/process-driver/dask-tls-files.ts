/**
 * A local task's Dask TLS credentials: for a task of a cluster, or of the resource that owns one
 * (`TaskSpec.daskCluster`, set from the task's own resource, never from its environment), the
 * cluster's CA, certificate and key are written into the task's private directory, mode 0600, as
 * the task's own user when it has one (so only it, and root, can read them), and distributed's
 * variables point at them (shared/app/dask-tls/dask-tls-environment.ts). A cluster without
 * credentials (none made yet: no `dask` here) gives nothing, and its scheduler has no address.
 */
import { join } from 'node:path';
import type { DaskCredentialReader } from '../dask/local-dask-credentials.ts';
import { DASK_TLS_FILES, daskTlsEnvironment } from '../../../shared/app/dask-tls/dask-tls-environment.ts';
import { PreparationFailed, type PreparationContext } from './preparation-step.ts';
import type { TaskAccess } from './task-access.ts';

const CREDENTIAL_FILE_MODE = 0o600;

/** Writes the credentials of the task's cluster and returns the variables to add; nothing for a task that reaches none. */
export async function placeDaskTlsFiles(context: PreparationContext, reader: DaskCredentialReader | undefined, access: Pick<TaskAccess, 'files' | 'privateDir'>): Promise<Record<string, string>> {
  const cluster = context.spec.daskCluster;
  if (cluster === undefined || reader === undefined) return {};
  let credentials;
  try {
    credentials = await reader.read(cluster);
  } catch {
    // The store's own error may quote what it read; the task's reason only names the cluster.
    throw new PreparationFailed(`the TLS credentials of the Dask cluster of ${cluster} could not be read`);
  }
  if (credentials === undefined) return {};
  const dir = join(access.privateDir, 'dask-tls');
  await access.files.writeFile(join(dir, DASK_TLS_FILES.ca), credentials.ca, CREDENTIAL_FILE_MODE);
  await access.files.writeFile(join(dir, DASK_TLS_FILES.cert), credentials.cert, CREDENTIAL_FILE_MODE);
  await access.files.writeFile(join(dir, DASK_TLS_FILES.key), credentials.key, CREDENTIAL_FILE_MODE);
  context.say(`Dask cluster ${cluster}: TLS certificate and key in ${dir} (mode 0600)`);
  return daskTlsEnvironment(dir);
}
