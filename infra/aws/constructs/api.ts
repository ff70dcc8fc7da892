/**
 * The HTTP API: API Gateway (HTTP API, payload 2.0) in front of the one API Lambda
 * (functions/api/handler.ts), behind the Lambda authorizer of infra/aws/authorizer (see its
 * file comment for why a Lambda authorizer, and why it passes platform tokens through).
 *
 * Throttling is per route at the stage, on top of the account's limits: generous for the
 * catch-all route, tight for token issuance and the unauthenticated routes. These limits are
 * for the whole API, not per caller; the API Lambda's rate-limit middleware is the per-caller
 * line when it is configured.
 */
import type { Organization } from '../../../shared/domain/identity/organization.ts';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { PlatformFunction } from '../platform-function.ts';
import type { EventStore } from './event-store.ts';
import { platformSecretsArn } from './compute.ts';
import { PLATFORM_SECRET_PREFIX } from '../config.ts';
import { acknowledgeWildcardResource } from '../nag.ts';
import type { Identity } from './identity.ts';
import type { Observability } from './observability.ts';
import type { PriceTable } from '../../../shared/domain/usage/instance-prices.ts';
import { DEFAULT_AUTH_CACHE_SECONDS } from '../../../functions/api/auth-cache-settings.ts';

export interface RouteThrottle {
  /** `METHOD /path` as API Gateway writes route keys. */
  routeKey: string;
  /** Routes the contract serves without a token skip the authorizer. */
  public?: boolean;
  rateLimit: number;
  burstLimit: number;
}

/** Requests per second (and burst) for everything not listed in ROUTE_THROTTLES. */
export const DEFAULT_THROTTLE = { rateLimit: 100, burstLimit: 200 } as const;

/** Routes with limits of their own. Every one is also a route of the API (same integration). */
export const ROUTE_THROTTLES: readonly RouteThrottle[] = [
  { routeKey: 'GET /api/status', public: true, rateLimit: 20, burstLimit: 40 },
  { routeKey: 'GET /openapi.json', public: true, rateLimit: 5, burstLimit: 10 },
  { routeKey: 'POST /api/users', rateLimit: 2, burstLimit: 5 },
  { routeKey: 'POST /api/users/{username}/tokens', rateLimit: 2, burstLimit: 5 },
  { routeKey: 'PUT /api/recipes', rateLimit: 20, burstLimit: 40 },
  { routeKey: 'POST /api/recipes', rateLimit: 20, burstLimit: 40 },
];

export interface ApiProps {
  eventStore: EventStore;
  identity: Identity;
  /** The domain deployments and workspaces are served under (ROUTE_DOMAIN); `localhost` without ingress. */
  routeDomain: string;
  observability: Observability;
  /** Prices per instance-hour by size for the usage answers; absent: hours only. */
  prices?: PriceTable;
  /** The installation's organization, given to the API as ORG_NAME. */
  organization: Organization;
}

export class Api extends Construct {
  readonly httpApi: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly handler: PlatformFunction;
  readonly authorizer: PlatformFunction;
  /** The app clients whose tokens the authorizer verifies: the API's own, and those added by `acceptTokensOf`. */
  private readonly acceptedClientIds: string[];
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { userPool, apiClient } = props.identity;
    this.acceptedClientIds = [apiClient.userPoolClientId];

    this.handler = new PlatformFunction(this, 'Handler', {
      entry: 'functions/api/handler.ts',
      description: 'Cassini HTTP API',
      timeout: Duration.seconds(15),
      environment: { ROUTE_DOMAIN: props.routeDomain, SECRET_PREFIX: PLATFORM_SECRET_PREFIX, ORG_NAME: props.organization.name, AUTH_CACHE_SECONDS: String(DEFAULT_AUTH_CACHE_SECONDS), ...(props.prices ? { CASSINI_PRICES: JSON.stringify(props.prices) } : {}) },
    });
    props.eventStore.connect(this.handler);
    // Secret values (PUT and DELETE /api/secrets/{name}): written, restored and deleted under the
    // platform prefix only, and never read back (no GetSecretValue: the API returns metadata only).
    const secrets = platformSecretsArn(this);
    this.handler.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:CreateSecret', 'secretsmanager:TagResource', 'secretsmanager:PutSecretValue', 'secretsmanager:RestoreSecret', 'secretsmanager:DeleteSecret'],
        resources: [secrets],
      }),
    );
    acknowledgeWildcardResource(
      this.handler.role,
      secrets,
      `Users create secrets at run time (PUT /api/secrets/{name}); the API may write only names under the platform prefix "${PLATFORM_SECRET_PREFIX}".`,
    );

    this.authorizer = new PlatformFunction(this, 'Authorizer', {
      entry: 'functions/authorizer/handler.ts',
      description: 'Cassini HTTP API authorizer: Cognito JWTs',
      timeout: Duration.seconds(5),
      memorySize: 256,
      environment: {
        USER_POOL_ISSUER: `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${userPool.userPoolId}`,
        USER_POOL_CLIENT_IDS: apiClient.userPoolClientId,
      },
    });

    const integration = new HttpLambdaIntegration('Handler', this.handler.fn, { payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0 });
    const authorizer = new HttpLambdaAuthorizer('Tokens', this.authorizer.fn, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      // No identity source, hence no cache: requests without a header must reach the API Lambda too.
      identitySource: [],
      resultsCacheTtl: Duration.seconds(0),
    });

    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      description: 'Cassini control plane API',
      createDefaultStage: false,
      defaultIntegration: integration,
      defaultAuthorizer: authorizer,
    });

    const routes: apigw.HttpRoute[] = [];
    for (const throttle of ROUTE_THROTTLES) {
      const [method, path] = throttle.routeKey.split(' ') as [apigw.HttpMethod, string];
      const [route] = this.httpApi.addRoutes({
        path,
        methods: [method],
        integration,
        ...(throttle.public ? { authorizer: new apigw.HttpNoneAuthorizer() } : {}),
      });
      routes.push(route!);
      if (throttle.public) {
        Validations.of(route!).acknowledge({ id: 'AwsSolutions-APIG4', reason: `${throttle.routeKey} is public by the API contract (../shared/API.md); it reveals no data.` });
      }
    }

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: DEFAULT_THROTTLE,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });
    const cfnStage = this.stage.node.defaultChild as apigw.CfnStage;
    // routeSettings is a JSON map in CloudFormation's own casing (CDK does not rewrite it).
    cfnStage.routeSettings = Object.fromEntries(
      ROUTE_THROTTLES.map((t) => [t.routeKey, { ThrottlingRateLimit: t.rateLimit, ThrottlingBurstLimit: t.burstLimit }]),
    );
    // Route settings name routes by key: the routes must exist before the stage refers to them.
    for (const route of routes) this.stage.node.addDependency(route);

    props.observability.watchFunction(this.handler, 'API');
    props.observability.watchFunction(this.authorizer, 'API authorizer');
    props.observability.watchHttpApi(this.httpApi, 'HTTP API');
  }

  /** The API's base URL. */
  get url(): string {
    return this.stage.url;
  }

  /**
   * Accepts the access tokens of another app client of the user pool: the load balancer's, which
   * the edge sidecar of service tasks presents on a visitor's behalf to learn its groups
   * (`GET /api/user`, infra/aws/edge/platform-users.ts). The sidecar never passes the token on.
   */
  acceptTokensOf(client: cognito.IUserPoolClient): void {
    this.acceptedClientIds.push(client.userPoolClientId);
    this.authorizer.addEnvironment('USER_POOL_CLIENT_IDS', this.acceptedClientIds.join(','));
  }
}
