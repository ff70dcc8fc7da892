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
 * - `SECRET_PREFIX` (optional, default `cassini/`): where revisions' SATURN_TOKEN secrets go
 *   (`<prefix>_tasks/<family>`), given the caller's TaskTokens; without them replicas get none.
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EFSClient } from '@aws-sdk/client-efs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Clock } from '../../ports/platform-clock.ts';
import type { TaskTokens } from '../../ports/task-tokens.ts';
import type { ServicePlan, ServiceReports } from '../../ports/service-runtime.ts';
import { AlbRoutes, type RoutedPort } from './alb-routes.ts';
import { CognitoCallbackUrls, userPoolIdOf } from './cognito-callback-urls.ts';
import { EcsServiceRuntime, UnrunnablePlanError, type EcsServiceRuntimeOptions, type ServiceRoutes, type SignInCallbacks } from './ecs-service-runtime.ts';
import { EfsHomeVolumes } from './efs-home-volumes.ts';
import { EfsSharedFolders } from './efs-shared-folders.ts';
import { daskClusterGroupsOption, secretArnsFromEnv, taskDefinitionsFromEnv, taskSubnetsFromEnv } from './ecs-platform.ts';
import { TaskTokenSecrets } from './task-token-secrets.ts';
import { requiredEnv } from '../required-env.ts';

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
  return new EcsServiceRuntime({
    client,
    cluster: requiredEnv(env, 'ECS_CLUSTER'),
    subnets: taskSubnetsFromEnv(env),
    securityGroups: [requiredEnv(env, 'TASK_SECURITY_GROUP')],
    ...daskClusterGroupsOption(env),
    gpuCapacityProvider: requiredEnv(env, 'GPU_CAPACITY_PROVIDER'),
    definitions: taskDefinitionsFromEnv(client, env),
    ...ingressFromEnv(env),
    homes: new EfsHomeVolumes({ client: efs, fileSystemId }),
    fileSystemId,
    folders: new EfsSharedFolders({ client: efs, fileSystemId }),
    reports,
    clock,
    secretArns: secretArnsFromEnv(env),
    ...(tokenSecrets ? { tokenSecrets } : {}),
    ...(extras.log ? { log: extras.log } : {}),
  });
}
