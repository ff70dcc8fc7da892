/**
 * The serving side of the platform for the Lambda function that runs deployments and
 * workspaces (the reactor), from the environment the CDK stack gives it
 * (infra/aws/cassini-stack.ts). Besides what ecs-platform.ts reads:
 *
 * - `FILE_SYSTEM_ID`: the EFS file system of workspace homes
 * - with a domain (infra/aws/constructs/ingress.ts): `LISTENER_ARN`, `VPC_ID`,
 *   `ROUTE_DOMAIN`, `ALB_USER_POOL_ARN`, `ALB_USER_POOL_CLIENT_ID`, `ALB_USER_POOL_DOMAIN`.
 *   The same user pool and app client take the routes' sign-in callback URLs.
 *   Without them the stack has no load balancer: a service with routes cannot be served, and
 *   its start is reported failed with the reason.
 *   With them also the edge sidecar every task carries (edge-sidecar.ts): `LOAD_BALANCER_ARN`
 *   (the only signer it trusts), `PLATFORM_URL` (asked for visitors' groups), `EDGE_IMAGE`
 *   (optional, default DEFAULT_EDGE_IMAGE), and its bundle, EDGE_SIDECAR_FILE in the
 *   function's directory (`LAMBDA_TASK_ROOT`).
 * - `SECRET_PREFIX` (optional, default `cassini/`): where revisions' SATURN_TOKEN secrets go
 *   (`<prefix>_tasks/<family>`), given the caller's TaskTokens; without them replicas get none.
 * - with the SSH gateway (infra/aws/constructs/ssh-gateway.ts): `SSH_AGENT_URL` and
 *   `SSH_AGENT_SHA256`, where the stack published the agent's bundle and its SHA-256, and
 *   `SSH_AGENT_IMAGE` (optional, default DEFAULT_SSH_AGENT_IMAGE): workspaces with `start_ssh`
 *   then carry the SSH agent (ssh-agent-task-parts.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EFSClient } from '@aws-sdk/client-efs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Clock } from '../../../ports/platform-clock.ts';
import type { TaskTokens } from '../../../ports/task-tokens.ts';
import type { ServicePlan, ServiceReports } from '../../../ports/service-runtime.ts';
import { AlbRoutes, type RoutedPort } from './alb-routes.ts';
import { CognitoCallbackUrls, userPoolIdOf } from './cognito-callback-urls.ts';
import { EcsServiceRuntime, UnrunnablePlanError, type EcsServiceRuntimeOptions, type ServiceRoutes, type SignInCallbacks } from './ecs-service-runtime.ts';
import { EfsHomeVolumes } from '../storage/efs-home-volumes.ts';
import { DEFAULT_EDGE_IMAGE, EDGE_SIDECAR_FILE, encodeEdgeCode, type EdgeSidecarSettings } from './edge-sidecar.ts';
import { DEFAULT_SSH_AGENT_IMAGE, type SshAgentSettings } from './ssh-agent-task-parts.ts';
import { SshAgentSecrets } from '../ssh/ssh-agent-secrets.ts';
import { EfsSharedFolders } from '../storage/efs-shared-folders.ts';
import { daskClusterGroupsOption, resourceRolesOption, secretArnsFromEnv, taskDefinitionsFromEnv, taskSubnetsFromEnv } from '../tasks/ecs-platform.ts';
import { TaskTokenSecrets } from '../tasks/task-token-secrets.ts';
import { requiredEnv } from '../../required-env.ts';
import { gpuCapacityProvidersFromEnv } from '../tasks/capacity-strategy.ts';

/** Routes when the stack has no load balancer: a service without routes runs, one with routes cannot. */
export const NO_INGRESS: ServiceRoutes = {
  async ensure(plan: Pick<ServicePlan, 'routes'>): Promise<RoutedPort[]> {
    if (plan.routes.length === 0) return [];
    throw new UnrunnablePlanError('this platform was deployed without a domain, so nothing can be served: redeploy it with -c domainName=… -c certificateArn=… (README, "Deploying to AWS")');
  },
  async detach(): Promise<void> {},
  async remove(): Promise<void> {},
  signInHosts: () => [],
  async signedInHostsOf(): Promise<string[]> {
    return [];
  },
};

/** Without a load balancer nobody signs in through it. */
export const NO_SIGN_IN: SignInCallbacks = {
  async add(): Promise<void> {},
  async remove(): Promise<void> {},
};

function ingressFromEnv(env: NodeJS.ProcessEnv): { routes: ServiceRoutes; callbacks: SignInCallbacks } {
  if (!env.LISTENER_ARN) return { routes: NO_INGRESS, callbacks: NO_SIGN_IN };
  const signIn = {
    userPoolArn: requiredEnv(env, 'ALB_USER_POOL_ARN'),
    userPoolClientId: requiredEnv(env, 'ALB_USER_POOL_CLIENT_ID'),
    userPoolDomain: requiredEnv(env, 'ALB_USER_POOL_DOMAIN'),
  };
  return {
    routes: new AlbRoutes({
      client: new ElasticLoadBalancingV2Client({}),
      listenerArn: env.LISTENER_ARN,
      vpcId: requiredEnv(env, 'VPC_ID'),
      domain: requiredEnv(env, 'ROUTE_DOMAIN'),
      signIn,
    }),
    callbacks: new CognitoCallbackUrls({
      client: new CognitoIdentityProviderClient({}),
      userPoolId: userPoolIdOf(signIn.userPoolArn),
      clientId: signIn.userPoolClientId,
    }),
  };
}

/** The edge sidecar of service tasks, when the stack has a load balancer (routes need it). */
export function edgeSidecarFromEnv(env: NodeJS.ProcessEnv): EdgeSidecarSettings | undefined {
  if (!env.LISTENER_ARN) return undefined;
  return {
    image: env.EDGE_IMAGE || DEFAULT_EDGE_IMAGE,
    code: encodeEdgeCode(readFileSync(join(requiredEnv(env, 'LAMBDA_TASK_ROOT'), EDGE_SIDECAR_FILE))),
    region: requiredEnv(env, 'AWS_REGION'),
    loadBalancerArn: requiredEnv(env, 'LOAD_BALANCER_ARN'),
    apiUrl: requiredEnv(env, 'PLATFORM_URL'),
  };
}

/** The SSH agent of workspaces with `start_ssh`, when the stack has the SSH gateway (it then sets SSH_AGENT_URL). */
export function sshAgentFromEnv(env: NodeJS.ProcessEnv): SshAgentSettings | undefined {
  if (!env.SSH_AGENT_URL) return undefined;
  const bundleSha256 = requiredEnv(env, 'SSH_AGENT_SHA256');
  if (!/^[0-9a-f]{64}$/.test(bundleSha256)) throw new Error(`SSH_AGENT_SHA256 must be 64 lowercase hex digits, not ${JSON.stringify(bundleSha256)}`);
  return { image: env.SSH_AGENT_IMAGE || DEFAULT_SSH_AGENT_IMAGE, bundleUrl: env.SSH_AGENT_URL, bundleSha256, secretArnPrefix: requiredEnv(env, 'TASK_SECRET_ARN_PREFIX') };
}

/** What the caller adds: who issues and revokes tokens (IdentityService over its event store), and where to log. */
export interface EcsServiceExtras {
  tokens?: TaskTokens;
  log?: EcsServiceRuntimeOptions['log'];
}

export function ecsServiceRuntimeFromEnv(reports: Pick<ServiceReports, 'failed' | 'stopped'>, clock: Clock, env: NodeJS.ProcessEnv = process.env, extras: EcsServiceExtras = {}): EcsServiceRuntime {
  const client = new ECSClient({});
  const tokenSecrets = extras.tokens
    ? new TaskTokenSecrets({ client: new SecretsManagerClient({}), tokens: extras.tokens, ...(env.SECRET_PREFIX ? { prefix: env.SECRET_PREFIX } : {}) })
    : undefined;
  const efs = new EFSClient({});
  const fileSystemId = requiredEnv(env, 'FILE_SYSTEM_ID');
  const edge = edgeSidecarFromEnv(env);
  const sshAgent = sshAgentFromEnv(env);
  return new EcsServiceRuntime({
    client,
    cluster: requiredEnv(env, 'ECS_CLUSTER'),
    subnets: taskSubnetsFromEnv(env),
    securityGroups: [requiredEnv(env, 'TASK_SECURITY_GROUP')],
    ...daskClusterGroupsOption(env),
    gpuCapacityProviders: gpuCapacityProvidersFromEnv(env),
    definitions: taskDefinitionsFromEnv(client, env),
    ...resourceRolesOption(env),
    ...ingressFromEnv(env),
    homes: new EfsHomeVolumes({ client: efs, fileSystemId }),
    fileSystemId,
    folders: new EfsSharedFolders({ client: efs, fileSystemId }),
    reports,
    clock,
    secretArns: secretArnsFromEnv(env),
    ...(tokenSecrets ? { tokenSecrets } : {}),
    ...(edge ? { edge } : {}),
    ...(sshAgent ? { sshAgent: { settings: sshAgent, secrets: new SshAgentSecrets({ client: new SecretsManagerClient({}), ...(env.SECRET_PREFIX ? { prefix: env.SECRET_PREFIX } : {}) }) } } : {}),
    ...(extras.log ? { log: extras.log } : {}),
  });
}
