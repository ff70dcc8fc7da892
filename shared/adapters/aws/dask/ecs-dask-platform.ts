/**
 * Dask clusters for the Lambda functions that run them (reactor, reconciler), from the
 * environment the CDK stack gives them (infra/aws/cassini-stack.ts, `DaskNetwork.daskEnvironment()`).
 * Besides what ecs-platform.ts reads (cluster, subnets, task security group, roles, log group):
 *
 * - `DASK_NAMESPACE_ID`, `DASK_NAMESPACE_NAME`: the Cloud Map private DNS namespace schedulers are named in
 * - `TASK_VPC_ID`: the VPC each cluster's own security group is made in (dask-cluster-security-groups.ts)
 *
 * The clusters' tasks get their resource's attachments as job tasks do: `FILE_SYSTEM_ID` for
 * shared folders (without it a cluster with folders cannot start), `SECRET_PREFIX` for secrets,
 * and for each cluster's TLS credentials (dask-tls-secrets.ts), kept under it.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DaskTlsSecrets } from './dask-tls-secrets.ts';
import { EcsDaskRuntime } from './ecs-dask-runtime.ts';
import { attachmentResolversFromEnv, taskDefinitionsFromEnv, taskSubnetsFromEnv } from '../tasks/ecs-platform.ts';
import { daskClusterGroupsFromEnv } from './dask-cluster-security-groups.ts';
import { requiredEnv } from '../../required-env.ts';
import { gpuCapacityProvidersFromEnv } from '../tasks/capacity-strategy.ts';

export interface DaskRuntimeFromEnvOptions {
  /** See `EcsDaskRuntimeOptions.registerWithinMs`: the reactor waits, the reconciler does not. */
  registerWithinMs?: number;
}

export function ecsDaskRuntimeFromEnv(env: NodeJS.ProcessEnv = process.env, options: DaskRuntimeFromEnvOptions = {}): EcsDaskRuntime {
  const ecs = new ECSClient({});
  const clusterGroups = daskClusterGroupsFromEnv(env);
  if (!clusterGroups) throw new Error('TASK_VPC_ID must be set');
  return new EcsDaskRuntime({
    ecs,
    discovery: new ServiceDiscoveryClient({}),
    cluster: requiredEnv(env, 'ECS_CLUSTER'),
    subnets: taskSubnetsFromEnv(env),
    // The task group reaches the file system and lets the load balancer in; the cluster's own group admits its members only.
    securityGroups: [requiredEnv(env, 'TASK_SECURITY_GROUP')],
    clusterGroups,
    tlsSecrets: new DaskTlsSecrets({ client: new SecretsManagerClient({}), ...(env.SECRET_PREFIX ? { prefix: env.SECRET_PREFIX } : {}) }),
    namespaceId: requiredEnv(env, 'DASK_NAMESPACE_ID'),
    namespaceName: requiredEnv(env, 'DASK_NAMESPACE_NAME'),
    definitions: taskDefinitionsFromEnv(ecs, env),
    gpuCapacityProviders: gpuCapacityProvidersFromEnv(env),
    ...attachmentResolversFromEnv(env),
    ...(options.registerWithinMs ? { registerWithinMs: options.registerWithinMs } : {}),
  });
}
