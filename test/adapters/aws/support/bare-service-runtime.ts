/** An EcsServiceRuntime with no load balancer, sign-in or home of consequence: for tests about its ECS calls and removal only. */
import type { ECSClient } from '@aws-sdk/client-ecs';
import { EcsServiceRuntime, type EcsServiceRuntimeOptions } from '../../../../shared/adapters/aws/services/ecs-service-runtime.ts';

export function bareServiceRuntime(client: ECSClient, options: Pick<EcsServiceRuntimeOptions, 'definitions'> & Partial<EcsServiceRuntimeOptions>): EcsServiceRuntime {
  const none = async () => {};
  return new EcsServiceRuntime({
    client,
    cluster: 'cassini',
    subnets: ['subnet-1'],
    securityGroups: ['sg-1'],
    gpuCapacityProviders: {},
    routes: { signInHosts: () => [], signedInHostsOf: async () => [], ensure: async () => [], detach: none, remove: none },
    callbacks: { add: none, remove: none },
    homes: { ensure: async () => 'fsap-1', removeOf: none },
    fileSystemId: 'fs-1',
    reports: { failed: none, stopped: none },
    clock: { now: () => new Date(0) },
    ...options,
  });
}
