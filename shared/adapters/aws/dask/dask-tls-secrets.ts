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
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { makeDaskClusterCredentials, type DaskClusterCredentials } from '../../../app/dask-tls/dask-cluster-credentials.ts';
import { DEFAULT_SECRET_PREFIX } from '../secrets/secret-names.ts';
import { createSecretUnlessExists, deleteSecretNow } from '../secrets/platform-made-secrets.ts';
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
    const credentials = (this.#options.makeCredentials ?? makeDaskClusterCredentials)(cluster.resourceId);
    await createSecretUnlessExists(
      this.#options.client,
      {
        Name: this.nameOf(cluster),
        Description: `TLS credentials of the Dask cluster of Cassini resource ${cluster.resourceId}`,
        SecretString: JSON.stringify(credentials),
        Tags: [
          { Key: 'owner', Value: cluster.owner },
          { Key: 'managed-by', Value: 'cassini' },
          { Key: DASK_CLUSTER_TAG, Value: cluster.resourceId },
        ],
      },
      `the TLS credentials of the Dask cluster ${cluster.resourceId} are still being deleted after its last stop; the cluster starts at the next try`,
    );
  }

  /** Deletes the cluster's credentials at once; nothing to delete is fine. */
  async remove(cluster: DaskTlsCluster): Promise<void> {
    await deleteSecretNow(this.#options.client, this.nameOf(cluster));
  }
}
