/**
 * The control plane's constructs (infra/aws/constructs/: event-store, api and identity,
 * processors, scheduling, task-lifecycle, integrations, observability) and the platform
 * functions, one describe per construct file. One test file for all of them, sharing the
 * synthesized app with the other template tests (support/synth.ts).
 */
import { DEFAULT_PRICES } from '../../../shared/domain/usage/instance-prices.ts';
import { describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { DEFAULT_THROTTLE, ROUTE_THROTTLES } from '../../../infra/aws/constructs/api.ts';
import { DEFAULT_AUTH_CACHE_SECONDS, MAX_AUTH_CACHE_SECONDS } from '../../../functions/api/auth-cache-settings.ts';
import { BATCH_DETAIL_TYPE, EVENT_SOURCE } from '../../../infra/aws/constructs/integrations.ts';
import { STREAM_RETRY_ATTEMPTS } from '../../../infra/aws/constructs/processors.ts';
import { PlatformFunction } from '../../../infra/aws/platform-function.ts';
import { bundleOptions, REQUIRE_SHIM } from '../../../infra/aws/function-bundle.ts';
import { eventsTableDefinition, viewsTableDefinition } from '../../../shared/adapters/dynamodb/tables.ts';
import { grantsOf, roleStatements } from './support/least-privilege.ts';
import { buildCassini, getAtt, logicalId, ref, synthCassini, synthesize } from './support/synth.ts';

const ADMIN_EMAIL = 'first.admin@example.com';

describe('event-store.ts', () => {
  const { template, json, stack } = synthCassini();
  const events = json.Resources[logicalId(stack.eventStore.events)]!;
  const views = json.Resources[logicalId(stack.eventStore.views)]!;

  describe('event store', () => {
    it('declares the keys the code creates locally (shared/adapters/dynamodb/tables.ts)', () => {
      const local = eventsTableDefinition('x');
      expect(events.Properties!.KeySchema).toEqual(local.KeySchema);
      expect(events.Properties!.AttributeDefinitions).toEqual(local.AttributeDefinitions);
      const localViews = viewsTableDefinition('x');
      expect(views.Properties!.KeySchema).toEqual(localViews.KeySchema);
      expect(views.Properties!.AttributeDefinitions).toEqual(localViews.AttributeDefinitions);
    });

    it('streams new images from the events table, with recovery, deletion protection and the expires_at TTL', () => {
      expect(events.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
        SSESpecification: { SSEEnabled: true },
      });
    });

    it('protects the views table the same way, without a stream', () => {
      expect(views.Properties).toMatchObject({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      });
      expect(views.Properties!.StreamSpecification).toBeUndefined();
    });

    it('keeps both tables when the stack is deleted', () => {
      template.allResources('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      template.resourceCountIs('AWS::DynamoDB::Table', 2);
    });

    it('gives the tables to functions through environment variables', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ EVENTS_TABLE: { Ref: logicalId(stack.eventStore.events) }, VIEWS_TABLE: { Ref: logicalId(stack.eventStore.views) } }) },
      });
    });
  });
});

describe('api.ts', () => {
  const { template, json, stack } = synthCassini({ adminEmail: ADMIN_EMAIL });
  const routes = Object.values(json.Resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Route');
  const routeByKey = new Map(routes.map((r) => [r.Properties!.RouteKey as string, r.Properties!]));
  const authorizerId = logicalId(stack.node.findAll().find((c) => c.node.path.endsWith('/HttpApi/Tokens'))!);

  describe('HTTP API', () => {
    it('sends every request to the API Lambda with payload 2.0', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0', IntegrationUri: getAtt(stack.api.handler.fn) });
    });

    it('authorizes with a Lambda that runs on every request (no identity source, no cache) and answers simply', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'REQUEST',
        AuthorizerPayloadFormatVersion: '2.0',
        EnableSimpleResponses: true,
        IdentitySource: [],
        AuthorizerResultTtlInSeconds: 0,
        AuthorizerUri: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([getAtt(stack.api.authorizer.fn)])] }),
      });
    });

    it('bounds how long a warm API instance trusts the tokens and users it holds by AUTH_CACHE_SECONDS, the only auth cache there is', () => {
      // The authorizer's cache is off (above), so no layer holds a platform token's decision longer than this.
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: Match.absent(),
        Handler: Match.anyValue(),
        Environment: { Variables: Match.objectLike({ AUTH_CACHE_SECONDS: String(DEFAULT_AUTH_CACHE_SECONDS), ROUTE_DOMAIN: Match.anyValue() }) },
      });
      expect(DEFAULT_AUTH_CACHE_SECONDS).toBeLessThanOrEqual(MAX_AUTH_CACHE_SECONDS);
    });

    it('puts the authorizer on the catch-all route and on every listed route except the public ones', () => {
      expect(routeByKey.get('$default')).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } });
      for (const route of ROUTE_THROTTLES) {
        const props = routeByKey.get(route.routeKey);
        expect(props, route.routeKey).toBeDefined();
        if (route.public) expect(props!.AuthorizationType, route.routeKey).toBe('NONE');
        else expect(props, route.routeKey).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } });
      }
      expect([...routeByKey.keys()].filter((k) => routeByKey.get(k)!.AuthorizationType === 'NONE').sort()).toEqual(['GET /api/status', 'GET /openapi.json']);
    });

    it('throttles per route at the stage, with defaults for the rest, and logs every request', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: DEFAULT_THROTTLE.rateLimit, ThrottlingBurstLimit: DEFAULT_THROTTLE.burstLimit },
        RouteSettings: Object.fromEntries(ROUTE_THROTTLES.map((t) => [t.routeKey, { ThrottlingRateLimit: t.rateLimit, ThrottlingBurstLimit: t.burstLimit }])),
        AccessLogSettings: { DestinationArn: getAtt(stack.api.accessLogs), Format: Match.stringLikeRegexp('"status":"\\$context.status"') },
      });
    });

    it('creates the stage after the routes its settings name', () => {
      const stage = Object.values(json.Resources).find((r) => r.Type === 'AWS::ApiGatewayV2::Stage') as unknown as { DependsOn?: string[] };
      const routeIds = Object.entries(json.Resources).filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Route' && r.Properties!.RouteKey !== '$default').map(([id]) => id);
      expect(stage.DependsOn).toEqual(expect.arrayContaining(routeIds));
    });

    it('gives the API Lambda its tables, route domain and usage prices (cdk.json: the dated default table), and the authorizer its user pool', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({ EVENTS_TABLE: ref(stack.eventStore.events), VIEWS_TABLE: ref(stack.eventStore.views), ROUTE_DOMAIN: 'localhost', ORG_NAME: 'cassini', CASSINI_PRICES: JSON.stringify(DEFAULT_PRICES) }),
        },
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            USER_POOL_ISSUER: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['https://cognito-idp.', ref(stack.identity.userPool)])] }),
            // The console's client too (web-console.ts): its users call the API with its tokens.
            USER_POOL_CLIENT_IDS: { 'Fn::Join': ['', [ref(stack.identity.apiClient), ',', ref(stack.console.client)]] },
          }),
        },
      });
    });
  });

  describe('Cognito user pool', () => {
    it('is closed to sign-up, requires MFA and strong passwords, and is protected from deletion', () => {
      template.hasResource('AWS::Cognito::UserPool', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({
          AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
          MfaConfiguration: 'ON',
          EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
          DeletionProtection: 'ACTIVE',
          Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 12, RequireSymbols: true, RequireNumbers: true, RequireUppercase: true, RequireLowercase: true }) },
        }),
      });
    });

    it('has a public app client for the API (no secret; SRP, and admin password sign-in for the operator CLI, never plain password sign-in) and the admins group', () => {
      template.hasResourceProperties('AWS::Cognito::UserPoolClient', { GenerateSecret: false, ExplicitAuthFlows: Match.arrayWith(['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH']) });
      const flows = template.findResources('AWS::Cognito::UserPoolClient');
      for (const client of Object.values(flows)) expect(client.Properties.ExplicitAuthFlows ?? []).not.toContain('ALLOW_USER_PASSWORD_AUTH');
      template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'admins', UserPoolId: ref(stack.identity.userPool) });
    });

    it('offers no OAuth flow on the API client: no implicit grant, no callback URL (least of all the CDK placeholder https://example.com)', () => {
      // "Configuring a user pool app client" (Amazon Cognito Developer Guide): the implicit grant
      // returns tokens in the redirect URL; with AllowedOAuthFlowsUserPoolClient false the client
      // cannot use the hosted UI's OAuth endpoints at all.
      const apiClient = Object.values(template.findResources('AWS::Cognito::UserPoolClient')).find((c) => c.Properties.GenerateSecret === false);
      expect(apiClient, 'the API app client').toBeDefined();
      expect(apiClient!.Properties.AllowedOAuthFlowsUserPoolClient).toBe(false);
      expect(apiClient!.Properties.AllowedOAuthFlows).toBeUndefined();
      expect(apiClient!.Properties.CallbackURLs).toBeUndefined();
      for (const client of Object.values(template.findResources('AWS::Cognito::UserPoolClient'))) {
        expect(client.Properties.AllowedOAuthFlows ?? []).not.toContain('implicit');
        expect(client.Properties.CallbackURLs ?? []).not.toContain('https://example.com');
      }
    });

    it('creates the first admin from the given e-mail, in the admins group', () => {
      template.hasResourceProperties('AWS::Cognito::UserPoolUser', {
        Username: 'admin',
        DesiredDeliveryMediums: ['EMAIL'],
        UserAttributes: Match.arrayWith([{ Name: 'email', Value: ADMIN_EMAIL }]),
      });
      template.hasResourceProperties('AWS::Cognito::UserPoolUserToGroupAttachment', { GroupName: 'admins', Username: 'admin' });
    });

    it('creates no user without an e-mail', () => {
      synthCassini().template.resourceCountIs('AWS::Cognito::UserPoolUser', 0);
    });
  });
});

describe('processors.ts', () => {
  const { template, json, stack } = synthCassini();


  describe('stream processors', () => {
    it.each(['reactor'] as const)('feeds the %s (the consumer pipeline) from the events stream with partial batch failures, bisect, bounded retries and an SQS on-failure queue', (consumer) => {
      template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: ref(stack[consumer].fn),
        EventSourceArn: getAtt(stack.eventStore.events, 'StreamArn'),
        StartingPosition: 'TRIM_HORIZON',
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: STREAM_RETRY_ATTEMPTS,
        ParallelizationFactor: 1,
        DestinationConfig: { OnFailure: { Destination: getAtt(stack.processors.failures) } },
      });
    });

    it('retries deferred deliveries every minute, keeping a tick the function fails on', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        Targets: [Match.objectLike({ Arn: getAtt(stack.reactor.fn), DeadLetterConfig: { Arn: getAtt(stack.processors.failures) } })],
      });
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: ref(stack.reactor.fn),
        DestinationConfig: { OnFailure: { Destination: getAtt(stack.processors.failures) } },
      });
    });

    it('keeps failures in an encrypted queue that accepts TLS only', () => {
      template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
      const policy = Object.values(json.Resources).find(
        (r) => r.Type === 'AWS::SQS::QueuePolicy' && JSON.stringify(r.Properties!.Queues) === JSON.stringify([ref(stack.processors.failures)]),
      );
      expect(JSON.stringify(policy?.Properties?.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    });

    it('wires a later consumer the same way with one line', () => {
      const app = buildCassini();
      const reactor = app.stack.processors.addConsumer('Later', { entry: 'functions/reactor/handler.ts', description: 'stand-in consumer' });
      const { template: t } = synthesize(app);
      t.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
      t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: ref(reactor.fn),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: STREAM_RETRY_ATTEMPTS,
        DestinationConfig: { OnFailure: { Destination: getAtt(app.stack.processors.failures) } },
      });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'IteratorAge', Dimensions: [{ Name: 'FunctionName', Value: ref(reactor.fn) }] });
    });
  });
});

describe('functions.ts', () => {
  const { json, stack } = synthCassini();
  const functions = stack.node.findAll().filter((c): c is PlatformFunction => c instanceof PlatformFunction);

  describe('platform Lambda functions', () => {
    it.each(functions.map((f) => [f.entry, f] as const))('%s: Node.js 22 on arm64, active tracing, JSON logs to its own log group', (_entry, fn) => {
      const props = json.Resources[logicalId(fn.fn)]!.Properties!;
      expect(props).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logicalId(fn.logGroup) } },
        Role: getAtt(fn.role),
      });
      expect(json.Resources[logicalId(fn.logGroup)]!.Properties!.RetentionInDays).toBeGreaterThan(0);
    });

    it('bundles ESM for node22 with the local esbuild, minified with source maps, split into lazily loaded chunks, with a require shim', () => {
      expect(bundleOptions('/entry.ts', '/out')).toMatchObject({ format: 'esm', target: 'node22', platform: 'node', minify: true, sourcemap: true, splitting: true, mainFields: ['module', 'main'], banner: { js: REQUIRE_SHIM } });
      expect(REQUIRE_SHIM).toContain('createRequire');
      expect(REQUIRE_SHIM).toContain('import.meta.url');
    });
  });
});

describe('scheduling.ts', () => {
  const { template, json, stack } = synthCassini();

  describe('scheduling', () => {
    it('has one schedule group for the job schedules', () => {
      template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    });

    it('has the role EventBridge Scheduler assumes, for schedules of this account and group only', () => {
      const role = json.Resources[logicalId(stack.scheduling.schedulerRole)]!.Properties!;
      expect(role.AssumeRolePolicyDocument).toMatchObject({
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Action: 'sts:AssumeRole',
            // Scheduler sets aws:SourceArn to the schedule group's ARN ("Cross-service confused
            // deputy prevention", EventBridge Scheduler User Guide): a schedule ARN never matches.
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, 'aws:SourceArn': getAtt(stack.scheduling.group) },
            },
          },
        ],
      });
      expect(JSON.stringify(role.AssumeRolePolicyDocument)).not.toContain(':schedule/');
    });

    it('lets that role write to the dead-letter queue, which is encrypted', () => {
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [ref(stack.scheduling.schedulerRole)],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['sqs:SendMessage']), Resource: getAtt(stack.scheduling.deadLetterQueue) })]) },
      });
      expect(json.Resources[logicalId(stack.scheduling.deadLetterQueue)]!.Properties).toMatchObject({ SqsManagedSseEnabled: true });
    });

    it('connects the schedule target Lambda: invoke on that function only, and the values schedules need, given to the reactor', () => {
      const app = buildCassini();
      const target = app.stack.scheduleTarget;
      const env = app.stack.scheduling.environment();
      const { template: t, stack: s } = synthesize(app);
      t.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [ref(s.scheduling.schedulerRole)],
        PolicyDocument: { Statement: Match.arrayWith([{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: getAtt(target.fn) }]) },
      });
      expect(Object.keys(env).sort()).toEqual(['SCHEDULER_ROLE_ARN', 'SCHEDULE_DLQ_ARN', 'SCHEDULE_GROUP', 'SCHEDULE_TARGET_ARN']);
      const reactorEnv = (json.Resources[logicalId(stack.reactor.fn)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(reactorEnv)).toEqual(expect.arrayContaining(Object.keys(env)));
      expect(() => app.stack.scheduling.connectTarget(target.fn)).toThrow(/already have a target/);
    });
  });
});

describe('task-lifecycle.ts', () => {
  const { json, stack } = synthCassini();

  describe('task lifecycle', () => {
    it('has a rule for the task state changes of the platform cluster', () => {
      const rule = json.Resources[logicalId(stack.taskLifecycle.taskStateRule)]!.Properties!;
      expect(rule.EventPattern).toEqual({
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: { clusterArn: [getAtt(stack.compute.cluster)] },
      });
      expect(rule.State).toBe('ENABLED');
    });

    it('has a one-minute schedule for the reconciler', () => {
      const rule = json.Resources[logicalId(stack.taskLifecycle.reconcileRule)]!.Properties!;
      expect(rule.ScheduleExpression).toBe('rate(1 minute)');
    });

    it('connects the task-state and reconciler functions, with retries and a dead-letter queue', () => {
      const { template: t, stack: s } = synthCassini();
      const { taskState, reconciler } = s;
      for (const [rule, fn] of [[s.taskLifecycle.taskStateRule, taskState], [s.taskLifecycle.reconcileRule, reconciler]] as const) {
        t.hasResourceProperties('AWS::Events::Rule', {
          ScheduleExpression: rule === s.taskLifecycle.reconcileRule ? 'rate(1 minute)' : Match.absent(),
          Targets: [Match.objectLike({ Arn: getAtt(fn.fn), DeadLetterConfig: { Arn: getAtt(s.taskLifecycle.deadLetterQueue) }, RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 8 }) })],
        });
        t.hasResourceProperties('AWS::Lambda::Permission', { FunctionName: getAtt(fn.fn), Principal: 'events.amazonaws.com', SourceArn: getAtt(rule) });
      }
    });
  });
});

describe('integrations.ts', () => {
  const { template, json, stack } = synthCassini();
  const integrations = stack.integrations;

  describe('integrations', () => {
    it('has a custom event bus with an archive of everything, kept a year', () => {
      template.resourceCountIs('AWS::Events::EventBus', 1);
      template.hasResourceProperties('AWS::Events::Archive', { SourceArn: getAtt(integrations.bus), RetentionDays: 365, EventPattern: { account: [{ Ref: 'AWS::AccountId' }] } });
    });

    it('publishes every inserted batch of the events stream on the bus through a pipe that retries, bisects and dead-letters', () => {
      template.hasResourceProperties('AWS::Pipes::Pipe', {
        Source: getAtt(stack.eventStore.events, 'StreamArn'),
        Target: getAtt(integrations.bus),
        RoleArn: getAtt(integrations.node.findChild('PipeRole')),
        SourceParameters: {
          DynamoDBStreamParameters: Match.objectLike({
            MaximumRetryAttempts: 10,
            OnPartialBatchItemFailure: 'AUTOMATIC_BISECT',
            DeadLetterConfig: { Arn: getAtt(integrations.deadLetterQueue) },
          }),
          FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'] }) }] },
        },
        TargetParameters: { EventBridgeEventBusParameters: { Source: EVENT_SOURCE, DetailType: BATCH_DETAIL_TYPE } },
      });
    });

    it('lets the pipe read the stream, put events on the bus and dead-letter, and nothing else', () => {
      const roleId = logicalId(integrations.node.findChild('PipeRole'));
      const stream = JSON.stringify(getAtt(stack.eventStore.events, 'StreamArn'));
      const bus = JSON.stringify(getAtt(integrations.bus));
      const queue = JSON.stringify(getAtt(integrations.deadLetterQueue));
      const grants = grantsOf(roleStatements(json.Resources, roleId), (r) => ({ [stream]: 'stream', [bus]: 'bus', [queue]: 'dlq' })[JSON.stringify(r)] ?? JSON.stringify(r));
      expect(grants.map((g) => `${g.action} on ${g.resource}`).sort()).toEqual(
        [
          'dynamodb:DescribeStream on stream',
          'dynamodb:GetRecords on stream',
          'dynamodb:GetShardIterator on stream',
          'dynamodb:ListStreams on stream',
          'events:PutEvents on bus',
          'sqs:SendMessage on dlq',
          'sqs:GetQueueAttributes on dlq',
          'sqs:GetQueueUrl on dlq',
        ].sort(),
      );
      expect(json.Resources[roleId]!.Properties!.AssumeRolePolicyDocument).toMatchObject({ Statement: [{ Principal: { Service: 'pipes.amazonaws.com' } }] });
    });

    it('names the bus in the outputs', () => {
      template.hasOutput('EventBusName', { Value: ref(integrations.bus) });
    });
  });
});

describe('observability.ts', () => {
  const { template, json, stack } = synthCassini({ adminEmail: ADMIN_EMAIL });
  const alarms = Object.values(json.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').map((r) => r.Properties!);
  const topic = ref(stack.observability.alarmTopic);

  function alarmsOn(metric: string, dimension: unknown) {
    return alarms.filter((a) => a.MetricName === metric && JSON.stringify(a.Dimensions).includes(JSON.stringify(dimension)));
  }

  describe('observability', () => {
    it('has a dashboard', () => {
      template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    });

    it('alarms on the depth of every queue (dead letters, stream failures and failed invocations)', () => {
      const queues = Object.entries(json.Resources).filter(([, r]) => r.Type === 'AWS::SQS::Queue');
      expect(queues.length).toBe(6);
      for (const [id] of queues) {
        expect(alarmsOn('ApproximateNumberOfMessagesVisible', { 'Fn::GetAtt': [id, 'QueueName'] }), id).toEqual([
          expect.objectContaining({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }),
        ]);
      }
    });

    it('alarms on the iterator age of the stream consumers', () => {
      expect(alarmsOn('IteratorAge', ref(stack.reactor.fn))).toEqual([expect.objectContaining({ Statistic: 'Maximum', Threshold: 5 * 60 * 1000 })]);
    });

    it('alarms on API 5xx answers', () => {
      expect(alarmsOn('5xx', ref(stack.api.httpApi))).toEqual([expect.objectContaining({ Namespace: 'AWS/ApiGateway', Statistic: 'Sum' })]);
    });

    it('alarms on the errors of every platform function', () => {
      const functions = stack.node.findAll().filter((c): c is PlatformFunction => c instanceof PlatformFunction);
      for (const fn of functions) expect(alarmsOn('Errors', ref(fn.fn)), fn.entry).toHaveLength(1);
    });

    it('sends every alarm, and its recovery, to the alarm topic, which mails the first admin', () => {
      for (const alarm of alarms) {
        expect(alarm.AlarmActions).toEqual([topic]);
        expect(alarm.OKActions).toEqual([topic]);
      }
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: ADMIN_EMAIL, TopicArn: topic });
    });
  });
});
