/**
 * The SSH gateway's program, run by its Fargate service (infra/aws/constructs/ssh-gateway.ts):
 * loads the host key from its seed secret, then serves the proxied SSH listener
 * (gateway-server.ts) with the platform's admissions through the admission function and the
 * workspaces' agents found in the platform's cluster. Settings, all given by the stack:
 * - HOST_KEY_SECRET: the seed secret's name;
 * - ADMISSION_FUNCTION: the admission function's name;
 * - ECS_CLUSTER: the platform's cluster;
 * - SSH_PORT: where to listen (GATEWAY_SSH_PORT unless given).
 * AWS credentials are the task role's, from the container credentials endpoint. A missing
 * setting or host key ends the program, and ECS starts another task.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { requiredEnv } from '../../../shared/adapters/required-env.ts';
import { lambdaAdmissions } from './admission-client.ts';
import { startSshGateway } from './gateway-server.ts';
import { loadHostKey } from './secret-host-key.ts';
import { GATEWAY_SSH_PORT } from './ssh-ports.ts';
import { ecsWorkspaceAgents } from './workspace-agents.ts';

const log = (line: Record<string, unknown>) => console.log(JSON.stringify(line));

async function main(): Promise<void> {
  const env = process.env;
  const secrets = new SecretsManagerClient({});
  const hostKey = await loadHostKey(secrets, requiredEnv(env, 'HOST_KEY_SECRET'));
  const gateway = await startSshGateway({
    port: env.SSH_PORT ? Number(env.SSH_PORT) : GATEWAY_SSH_PORT,
    hostKey: hostKey.privateKey,
    admissions: lambdaAdmissions(new LambdaClient({}), requiredEnv(env, 'ADMISSION_FUNCTION')),
    agents: ecsWorkspaceAgents({ ecs: new ECSClient({}), secrets, cluster: requiredEnv(env, 'ECS_CLUSTER') }),
    log,
  });
  log({ level: 'info', component: 'ssh-gateway', message: 'serving', port: gateway.port, hostKey: hostKey.publicKey });
  // ECS stops a task with SIGTERM: open sessions end as the connections close.
  process.once('SIGTERM', () => void gateway.close().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  log({ level: 'error', component: 'ssh-gateway', message: 'the SSH gateway cannot start', error: String(error) });
  process.exit(1);
});
