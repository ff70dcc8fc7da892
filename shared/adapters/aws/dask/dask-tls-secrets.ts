/**
 * Each Dask cluster's TLS credentials on AWS (shared/app/dask-tls/): one Secrets Manager secret
 * per cluster, `<prefix><owner>/_dask-tls-<resource id>` (dask-tls-task-parts.ts), made when the
 * cluster's first task is about to start and deleted with the cluster. The value is made here
 * and goes to Secrets Manager only: no event, log line or response holds it.
 *
 * `ensure` is safe to repeat and to race (the reactor and the reconciler): the first create wins,
 * a later one finds the secret there and keeps it, so every member holds the same credentials.
 * `remove` deletes at once (no recovery window: credentials have no use after their cluster) and
 * is a no-op when the secret is gone.
 */
import { CreateSecretCommand, DeleteSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { makeDaskClusterCredentials, type DaskClusterCredentials } from '../../../app/dask-tls/dask-cluster-credentials.ts';
import { DEFAULT_SECRET_PREFIX } from '../secrets/secret-names.ts';
import { isNamed } from '../sdk-errors.ts';
import { DASK_CLUSTER_TAG } from './dask-cluster-security-groups.ts';
import { daskTlsSecretPath, type DaskTlsCluster } from './dask-tls-task-parts.ts';

export interface DaskTlsSecretsOptions {
  client: SecretsManagerClient;
  /** The platform prefix, ending with `/`; default `cassini/`. */
  prefix?: string;
  /** Makes a cluster's credentials; injectable for tests. */
  makeCredentials?: (resourceId: string) => DaskClusterCredentials;
}

export class DaskTlsSecrets {
  readonly #options: DaskTlsSecretsOptions;

  constructor(options: DaskTlsSecretsOptions) {
    this.#options = options;
  }

  nameOf(cluster: DaskTlsCluster): string {
    return `${this.#options.prefix ?? DEFAULT_SECRET_PREFIX}${daskTlsSecretPath(cluster)}`;
  }

  /** Creates the cluster's credentials unless they exist. */
  async ensure(cluster: DaskTlsCluster): Promise<void> {
    const name = this.nameOf(cluster);
    const credentials = (this.#options.makeCredentials ?? makeDaskClusterCredentials)(cluster.resourceId);
    try {
      await this.#options.client.send(
        new CreateSecretCommand({
          Name: name,
          Description: `TLS credentials of the Dask cluster of Cassini resource ${cluster.resourceId}`,
          SecretString: JSON.stringify(credentials),
          Tags: [
            { Key: 'owner', Value: cluster.owner },
            { Key: 'managed-by', Value: 'cassini' },
            { Key: DASK_CLUSTER_TAG, Value: cluster.resourceId },
          ],
        }),
      );
    } catch (error) {
      if (isNamed(error, 'ResourceExistsException')) return;
      // A secret deleted a moment ago is still being deleted (Secrets Manager deletes asynchronously):
      // the next ensure (a retried reaction, the reconciler's pass a minute later) creates it.
      if (isNamed(error, 'InvalidRequestException')) throw new Error(`the TLS credentials of the Dask cluster ${cluster.resourceId} are still being deleted after its last stop; the cluster starts at the next try`, { cause: error });
      throw error;
    }
  }

  /** Deletes the cluster's credentials at once; nothing to delete is fine. */
  async remove(cluster: DaskTlsCluster): Promise<void> {
    try {
      await this.#options.client.send(new DeleteSecretCommand({ SecretId: this.nameOf(cluster), ForceDeleteWithoutRecovery: true }));
    } catch (error) {
      if (!isNamed(error, 'ResourceNotFoundException', 'InvalidRequestException')) throw error;
    }
  }
}
