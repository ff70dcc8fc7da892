/**
 * Where the gateway finds a workspace's agent on AWS (the contract with the agent,
 * shared/adapters/aws/ssh/ssh-agent-contract.ts): the RUNNING tasks of the workspace's service
 * (ECS ListTasks by service name, then DescribeTasks for the awsvpc interface's private IPv4),
 * and the workspace's agent secret (`<prefix><owner>/_ssh-<resource id>`), whose password the
 * gateway logs in with and whose seed gives the host key it pins. The gateway's role may list
 * and describe tasks of the platform's cluster only, and read only secrets named so.
 */
import { DescribeTasksCommand, ListTasksCommand, type ECSClient, type Task } from '@aws-sdk/client-ecs';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { sshAgentSecretPath, sshAgentSecretSchema, WORKSPACE_SSH_PORT } from '../../../shared/adapters/aws/ssh/ssh-agent-contract.ts';
import { DEFAULT_SECRET_PREFIX } from '../../../shared/adapters/aws/secrets/secret-names.ts';
import { serviceNameFor } from '../../../shared/adapters/aws/services/service-names.ts';
import { hostKeyFromSeed } from './host-key-from-seed.ts';
import type { AgentEndpoint, WorkspaceAgents } from './gateway-server.ts';

export interface EcsWorkspaceAgentsOptions {
  ecs: ECSClient;
  secrets: SecretsManagerClient;
  /** The platform's cluster (ECS_CLUSTER). */
  cluster: string;
  /** @default `cassini/` */
  secretPrefix?: string;
  /** @default WORKSPACE_SSH_PORT (tests run an agent on a port of their own) */
  agentPort?: number;
}

/** The private IPv4 of a task's awsvpc network interface. */
function privateAddressOf(task: Task): string | undefined {
  const eni = task.attachments?.find((attachment) => attachment.type === 'ElasticNetworkInterface');
  return eni?.details?.find((detail) => detail.name === 'privateIPv4Address')?.value;
}

export function ecsWorkspaceAgents(options: EcsWorkspaceAgentsOptions): WorkspaceAgents {
  const { ecs, secrets, cluster } = options;
  return {
    async find(workspace): Promise<AgentEndpoint | undefined> {
      const { taskArns } = await ecs.send(new ListTasksCommand({ cluster, serviceName: serviceNameFor(workspace.id), desiredStatus: 'RUNNING' }));
      if (taskArns === undefined || taskArns.length === 0) return undefined;
      const { tasks } = await ecs.send(new DescribeTasksCommand({ cluster, tasks: taskArns }));
      const host = (tasks ?? []).filter((task) => task.lastStatus === 'RUNNING').map(privateAddressOf).find((address) => address !== undefined);
      if (host === undefined) return undefined;
      const name = `${options.secretPrefix ?? DEFAULT_SECRET_PREFIX}${sshAgentSecretPath({ owner: workspace.owner, resourceId: workspace.id })}`;
      const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: name }));
      const parsed = sshAgentSecretSchema.safeParse(JSON.parse(SecretString ?? 'null'));
      // The value is never part of the error: only which secret, and that its shape is wrong.
      if (!parsed.success) throw new Error(`the SSH agent secret ${name} does not hold {"password", "hostKeySeed"} as the contract gives them`);
      return { host, port: options.agentPort ?? WORKSPACE_SSH_PORT, password: parsed.data.password, hostKey: hostKeyFromSeed(parsed.data.hostKeySeed).publicKey };
    },
  };
}
