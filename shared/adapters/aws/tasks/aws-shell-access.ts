/**
 * `state.ssh` on AWS, chosen by what the stack gives the API: with the SSH gateway
 * (SSH_GATEWAY_HOST and SSH_GATEWAY_PORT, infra/aws/constructs/ssh-gateway.ts `environment()`),
 * the plain `ssh` command of the local endpoint's form, `ssh -p <port> <name>.<owner>@<host>`;
 * without it, ECS Exec per running replica (ecs-exec-shell.ts), as before the gateway existed.
 */
import type { ShellAccess } from '../../../app/recipe-rendering.ts';
import { sshConnectCommand, workspaceLogin } from '../../../domain/ssh/ssh-login.ts';
import { ecsExecShellAccess } from './ecs-exec-shell.ts';

export function awsShellAccess(env: NodeJS.ProcessEnv): ShellAccess | undefined {
  const host = env.SSH_GATEWAY_HOST;
  const port = Number(env.SSH_GATEWAY_PORT);
  if (host && Number.isInteger(port) && port > 0) return (resource) => sshConnectCommand(workspaceLogin(resource.name, resource.owner), host, port);
  return env.ECS_CLUSTER ? ecsExecShellAccess(env.ECS_CLUSTER, env.AWS_REGION) : undefined;
}
