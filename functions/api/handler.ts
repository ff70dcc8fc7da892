/**
 * Lambda entry point of the HTTP API (API Gateway HTTP API, payload v2). Dependencies are
 * built on the first invocation, not at import, so tests and tools can import this freely.
 * ROUTE_DOMAIN is the domain deployments and workspaces are served under. Job logs are read
 * from CloudWatch Logs (ECS_CLUSTER, TASK_LOG_GROUP: the cluster tasks run in and their log
 * group); without those two the logs route answers with no lines. Secret values go to Secrets
 * Manager under SECRET_PREFIX (default `cassini/`), the only names the function's role may write.
 * Dask clusters are described from the cluster's tasks (ECS_CLUSTER, DASK_NAMESPACE_NAME: the
 * Cloud Map namespace their schedulers are named in); a scale is an event the reactor acts on.
 * Without them every cluster is `unavailable`, saying why.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createApi } from './create-api.ts';
import { DEFAULT_FAILED_LOGINS } from './middlewares/failed-logins.ts';
import { lazyAdapter } from '../../shared/adapters/lazy-adapter.ts';
import { dynamoPlatformFromEnv } from '../../shared/adapters/dynamodb/dynamodb-platform.ts';
import { platformServices } from '../../shared/app/platform-services.ts';
import { systemClock, systemRandom } from '../../shared/adapters/node-platform.ts';
import { PLATFORM_VERSION } from '../../shared/version.ts';
import { observed, telemetryFor } from '../observability.ts';
import { awsShellAccess } from '../../shared/adapters/aws/tasks/aws-shell-access.ts';
import { DaskService } from '../../shared/app/dask-service.ts';
import type { SecretWriter } from '../../shared/ports/secret-store.ts';
import type { DaskRuntime } from '../../shared/ports/dask-runtime.ts';
import type { ApiServices } from './api-types.ts';
import { offeredSizes } from '../../shared/domain/sizes.ts';
import { parsePriceTable } from '../../shared/domain/usage/instance-prices.ts';
import { organizationFromSetting } from '../../shared/domain/identity/organization.ts';
import { StreamStateCache } from '../../shared/app/stream-state-cache.ts';
import { authCacheSeconds } from './auth-cache-settings.ts';

const telemetry = telemetryFor('api');

type Api = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

let api: Api | undefined;

function buildApi(): Api {
  const platform = dynamoPlatformFromEnv();
  const { views, runViews, catalogViews, tokenViews, principalViews, usageViews } = platform;
  // Tokens and users from memory for AUTH_CACHE_SECONDS (auth-cache-settings.ts); this
  // instance's own writes go through the cache's watch and are seen at once.
  const identityCache = new StreamStateCache({ maxAgeMs: authCacheSeconds(process.env.AUTH_CACHE_SECONDS) * 1000 });
  const store = identityCache.watching(platform.store);
  const domain = process.env.ROUTE_DOMAIN ?? 'localhost';
  // The Secrets Manager, ECS and CloudWatch Logs clients load with the first request that needs
  // them (lazy-adapter.ts): most requests read and append events only.
  const secretStore = lazyAdapter<SecretWriter>(async () => (await import('../../shared/adapters/aws/secrets/secrets-manager-store.ts')).secretsManagerStoreFromEnv(process.env));
  const cluster = process.env.ECS_CLUSTER;
  // `ssh` through the SSH gateway when the stack has one, else ECS Exec.
  const shellAccess = awsShellAccess(process.env);
  // ORG_NAME comes from the CDK context value `orgName` (infra/aws/config.ts).
  const organization = organizationFromSetting(process.env.ORG_NAME, 'ORG_NAME');
  const services = platformServices({
    organization,
    store,
    views,
    runViews,
    catalogViews,
    tokenViews,
    principalViews,
    usageViews,
    secretStore,
    clock: systemClock,
    random: systemRandom,
    routeUrl: (subdomain) => `https://${subdomain}.${domain}/`,
    identityCache,
    ...(shellAccess ? { shellAccess } : {}),
    // Prices per instance-hour for the usage answers: the stack's `prices` context (infra/aws/config.ts).
    ...(process.env.CASSINI_PRICES ? { prices: parsePriceTable(process.env.CASSINI_PRICES, 'CASSINI_PRICES') } : {}),
  });
  const logGroup = process.env.TASK_LOG_GROUP;
  const taskLogs =
    cluster && logGroup
      ? lazyAdapter<NonNullable<ApiServices['taskLogs']>>(async () =>
          (await import('../../shared/adapters/aws/logs/cloudwatch-task-logs.ts')).cloudWatchTaskLogsWith({ cluster, logGroup, loadRun: (runId) => services.runs.load(runId) }),
        )
      : undefined;
  const namespaceName = process.env.DASK_NAMESPACE_NAME;
  // Describing a cluster only reads ECS (ListTasks, DescribeTasks); scaling appends an event.
  const daskRuntime =
    cluster && namespaceName
      ? lazyAdapter<Pick<DaskRuntime, 'describe'>>(async () => (await import('../../shared/adapters/aws/dask/ecs-dask-inspector.ts')).ecsDaskInspectorWith({ cluster, namespaceName }))
      : undefined;
  const dask = new DaskService({ store, clock: systemClock, ...(daskRuntime ? { runtime: daskRuntime } : {}) });
  // The GPU sizes offered are those whose instance type the stack provisions (GPU_INSTANCE_TYPES, comma-separated).
  const gpuInstanceTypes = process.env.GPU_INSTANCE_TYPES;
  const sizes = offeredSizes(gpuInstanceTypes === undefined ? undefined : gpuInstanceTypes.split(',').filter(Boolean));
  return createApi({
    services: { ...services, ...(taskLogs ? { taskLogs } : {}), dask, sizes, organization, version: PLATFORM_VERSION },
    // Per Lambda instance: API Gateway's throttles bound the total; this slows one address's guesses.
    failedLogins: DEFAULT_FAILED_LOGINS,
    logger: telemetry.logger,
  }) as unknown as Api;
}

/** Requests are not logged (their Authorization header is a credential); the error contract logs failures by route. */
export const handler = observed(telemetry, async (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
  api ??= buildApi();
  return api(event, context);
});
