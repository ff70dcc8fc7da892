/**
 * `state.ssh` on AWS: a deployment or workspace with `start_ssh` runs with ECS Exec enabled,
 * and this says how to open a shell in each replica that runs now, with the AWS CLI (and the
 * Session Manager plugin) under credentials allowed `ecs:ExecuteCommand` on the cluster.
 */
import type { ShellAccess } from '../../../app/recipe-rendering.ts';
import { MAIN_CONTAINER } from '../services/service-names.ts';
import { serviceOf } from '../../../domain/resource/resource-decider.ts';

export function ecsExecShellAccess(cluster: string, region?: string): ShellAccess {
  return (resource) => {
    const pods = serviceOf(resource)?.pods.filter((p) => p.endedAt === null && p.status === 'running') ?? [];
    const regionFlag = region ? ` --region ${region}` : '';
    if (pods.length === 0) {
      return { available: true, connect: [], note: 'No replica is running; start the resource, then open a shell in one of its tasks.' };
    }
    return {
      available: true,
      connect: pods.map((pod) => ({
        pod_name: pod.name,
        command: `aws ecs execute-command${regionFlag} --cluster ${cluster} --task ${pod.name} --container ${MAIN_CONTAINER} --interactive --command /bin/bash`,
      })),
      note: 'Needs the AWS CLI with the Session Manager plugin, and credentials allowed ecs:ExecuteCommand on the cluster.',
    };
  };
}
