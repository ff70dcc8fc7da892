/**
 * The AWS rules the first deploy rests on, read from the synthesized template. Nothing here can
 * reach AWS, so each rule is cited from the AWS documentation where it is written down, and
 * each test fails if the stack breaks it.
 */
import { describe, expect, it } from 'vitest';
import { LOAD_BALANCER_IDLE_TIMEOUT } from '../../../infra/aws/constructs/ingress.ts';
import { cognitoDomainPrefix } from '../../../infra/aws/cognito-domain-prefix.ts';
import { getAtt, logicalId, ref, synthCassini, DOMAIN_CONTEXT } from './support/synth.ts';

type Resources = ReturnType<typeof synthCassini>['json']['Resources'];

function ofType(resources: Resources, type: string) {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

describe('alarm notifications', () => {
  const { json, stack } = synthCassini();
  const topic = json.Resources[logicalId(stack.observability.alarmTopic)]!.Properties!;

  // "Configure AWS KMS permissions for AWS services" (Amazon SNS Developer Guide, encryption at
  // rest): an AWS service publishing to an encrypted topic needs kms:Decrypt and
  // kms:GenerateDataKey* on a customer managed key; alias/aws/sns's policy cannot grant them.
  it('encrypts the alarm topic with a customer managed key whose policy lets CloudWatch publish', () => {
    expect(topic.KmsMasterKeyId).toEqual(getAtt(stack.observability.alarmTopicKey));
    expect(JSON.stringify(topic.KmsMasterKeyId)).not.toContain('alias/aws/sns');
    const key = json.Resources[logicalId(stack.observability.alarmTopicKey)]!;
    expect(key.Type).toBe('AWS::KMS::Key');
    const statements = (key.Properties!.KeyPolicy as { Statement: Array<{ Principal?: { Service?: string }; Action: string[]; Condition?: unknown }> }).Statement;
    const cloudWatch = statements.find((s) => s.Principal?.Service === 'cloudwatch.amazonaws.com');
    expect(cloudWatch?.Action).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));
    expect(cloudWatch?.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
    expect(key.Properties!.EnableKeyRotation).toBe(true);
  });
});

describe('asynchronously invoked functions', () => {
  const { json, stack } = synthCassini();
  const alarmedQueues = new Set(
    ofType(json.Resources, 'AWS::CloudWatch::Alarm')
      .filter(([, a]) => a.Properties!.MetricName === 'ApproximateNumberOfMessagesVisible')
      .map(([, a]) => JSON.stringify((a.Properties!.Dimensions as [{ Value: unknown }])[0].Value)),
  );

  /** Functions EventBridge rules invoke, and the one every job schedule invokes (Scheduler invokes Lambda asynchronously too). */
  const invokedAsynchronously = [
    ...new Set([
      ...ofType(json.Resources, 'AWS::Events::Rule').flatMap(([, rule]) =>
        ((rule.Properties!.Targets as Array<{ Arn: unknown }> | undefined) ?? [])
          .map((t) => t.Arn as { 'Fn::GetAtt'?: [string, string] })
          .filter((arn) => arn['Fn::GetAtt'] && json.Resources[arn['Fn::GetAtt'][0]]?.Type === 'AWS::Lambda::Function')
          .map((arn) => arn['Fn::GetAtt']![0]),
      ),
      logicalId(stack.scheduleTarget.fn),
    ]),
  ];

  // "Retaining records of asynchronous invocations" (AWS Lambda Developer Guide): after its
  // retries, an event a function failed on is discarded unless an on-failure destination (or a
  // dead-letter queue of the function) keeps it; the caller's own dead-letter queue only covers
  // events it could not deliver.
  it('finds the task-state, reconciler, schedule-target and consumers (deferred retries) functions', () => {
    expect(invokedAsynchronously.sort()).toEqual([logicalId(stack.reconciler.fn), logicalId(stack.scheduleTarget.fn), logicalId(stack.taskState.fn), logicalId(stack.reactor.fn)].sort());
  });

  it.each(invokedAsynchronously)('%s keeps what it failed on in an alarmed queue', (functionId) => {
    const configs = ofType(json.Resources, 'AWS::Lambda::EventInvokeConfig').filter(([, c]) => JSON.stringify(c.Properties!.FunctionName) === JSON.stringify({ Ref: functionId }));
    expect(configs).toHaveLength(1);
    const destination = (configs[0]![1].Properties!.DestinationConfig as { OnFailure: { Destination: { 'Fn::GetAtt': [string, string] } } }).OnFailure.Destination;
    expect(json.Resources[destination['Fn::GetAtt'][0]]!.Type).toBe('AWS::SQS::Queue');
    expect(alarmedQueues.has(JSON.stringify({ 'Fn::GetAtt': [destination['Fn::GetAtt'][0], 'QueueName'] }))).toBe(true);
  });
});

describe('the reconciler', () => {
  const { json, stack } = synthCassini();

  // "Configuring reserved concurrency" (AWS Lambda Developer Guide): reserved concurrency is
  // also the most instances that run at once. A pass may outlast the one-minute rate.
  it('runs one pass at a time: reserved concurrency 1', () => {
    expect(json.Resources[logicalId(stack.reconciler.fn)]!.Properties!.ReservedConcurrentExecutions).toBe(1);
  });
});

describe('the load balancer', () => {
  const { json, stack } = synthCassini(DOMAIN_CONTEXT);

  // "Connection idle timeout" (User Guide for Application Load Balancers): the default is 60
  // seconds and the range 1-4000; an IDE's WebSocket quiet for longer is closed.
  it('keeps quiet connections (Jupyter, RStudio WebSockets) open for at least an hour', () => {
    const attributes = json.Resources[logicalId(stack.ingress!.loadBalancer)]!.Properties!.LoadBalancerAttributes as Array<{ Key: string; Value: string }>;
    const idle = Number(attributes.find((a) => a.Key === 'idle_timeout.timeout_seconds')?.Value);
    expect(idle).toBeGreaterThanOrEqual(3600);
    expect(idle).toBeLessThanOrEqual(4000);
    expect(LOAD_BALANCER_IDLE_TIMEOUT.toSeconds()).toBe(idle);
  });
});

describe('the Cognito sign-in domain', () => {
  // "Using the Amazon Cognito domain for managed login" (Amazon Cognito Developer Guide): a
  // prefix holds lowercase letters, digits and hyphens, no hyphen first or last, at most 63
  // characters, and may not contain aws, amazon or cognito.
  const VALID = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

  it.each([
    'apps.example.com',
    'aws.example.com',
    'ml.amazonaws-team.example.org',
    'cognito.example.com',
    'awaws.example.com',
    'a-very-long-subdomain-name-for-the-data-science-platform.of.an.example-company.com',
    'Apps.Example.COM',
  ])('derives a valid prefix from %s', (domain) => {
    const prefix = cognitoDomainPrefix(domain);
    expect(prefix).toMatch(VALID);
    expect(prefix).not.toMatch(/aws|amazon|cognito/);
  });

  it('keeps the domain readable in the prefix', () => {
    expect(cognitoDomainPrefix('apps.example.com')).toBe('cassini-apps-example-com');
  });

  it('is what the stack gives the user pool domain', () => {
    const { json } = synthCassini({ ...DOMAIN_CONTEXT, domainName: 'aws.example.com' });
    const [[, domain]] = ofType(json.Resources, 'AWS::Cognito::UserPoolDomain') as [[string, Resources[string]]];
    expect(domain.Properties!.Domain).toBe('cassini-example-com');
  });
});
describe('the events stream', () => {
  const { json, stack } = synthCassini();

  // "Change data capture for DynamoDB Streams" (Amazon DynamoDB Developer Guide): no more than
  // two processes should read from the same stream shard at the same time, or reads throttle.
  it('has at most two readers: Lambda event source mappings and pipes', () => {
    const streamArn = JSON.stringify(getAtt(stack.eventStore.events, 'StreamArn'));
    const mappings = ofType(json.Resources, 'AWS::Lambda::EventSourceMapping').filter(([, m]) => JSON.stringify(m.Properties!.EventSourceArn) === streamArn);
    const pipes = ofType(json.Resources, 'AWS::Pipes::Pipe').filter(([, p]) => JSON.stringify(p.Properties!.Source) === streamArn);
    expect(mappings.length + pipes.length).toBeLessThanOrEqual(2);
    expect(mappings.map(([, m]) => m.Properties!.FunctionName)).toContainEqual(ref(stack.reactor.fn));
  });
});

describe('alarms', () => {
  const { json, stack } = synthCassini(DOMAIN_CONTEXT);
  const alarms = ofType(json.Resources, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
  const topic = { Ref: logicalId(stack.observability.alarmTopic) };
  const onMetric = (namespace: string, metricName: string) =>
    alarms.filter((a) => (a.Namespace === namespace && a.MetricName === metricName) || JSON.stringify(a.Metrics ?? []).includes(`"MetricName":"${metricName}"`) || JSON.stringify(a.Metrics ?? []).includes(metricName));

  it.each([
    ['ECS tasks that failed to start', 'AWS/Events', 'MatchedEvents'],
    ['job tasks waiting in PROVISIONING for 15 minutes', 'Cassini', 'TasksWaitingToStart'],
    ['load balancer 5xx', 'AWS/ApplicationELB', 'HTTPCode_ELB_5XX_Count'],
    ['targets answering 5xx', 'AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count'],
    ['unhealthy targets of any target group', 'AWS/ApplicationELB', 'UnHealthyHostCount'],
    ['Scheduler target errors', 'AWS/Scheduler', 'TargetErrorCount'],
    ['Scheduler dropped invocations', 'AWS/Scheduler', 'InvocationDroppedCount'],
  ])('alarm on %s, sent to the topic', (_what, namespace, metricName) => {
    const found = onMetric(namespace, metricName);
    expect(found.length).toBeGreaterThan(0);
    for (const alarm of found) expect(alarm.AlarmActions).toEqual([topic]);
  });

  it('alarms on throttled reads and writes of both tables', () => {
    for (const table of [stack.eventStore.events, stack.eventStore.views]) {
      const throttles = alarms.filter((a) => JSON.stringify(a.Metrics ?? []).includes('WriteThrottleEvents') && JSON.stringify(a.Metrics).includes(JSON.stringify({ Ref: logicalId(table) })));
      expect(throttles).toHaveLength(1);
    }
  });

  it('counts the task state changes with stop code TaskFailedToStart of the platform cluster', () => {
    const rule = json.Resources[logicalId(stack.taskLifecycle.taskStartFailuresRule)]!.Properties!;
    expect(rule.EventPattern).toEqual({ source: ['aws.ecs'], 'detail-type': ['ECS Task State Change'], detail: { clusterArn: [getAtt(stack.compute.cluster)], stopCode: ['TaskFailedToStart'] } });
  });

  it('logs every ECS Exec session to a log group of its own', () => {
    const cluster = json.Resources[logicalId(stack.compute.cluster)]!.Properties!;
    expect(cluster.Configuration).toEqual({
      ExecuteCommandConfiguration: { Logging: 'OVERRIDE', LogConfiguration: { CloudWatchLogGroupName: { Ref: logicalId(stack.compute.execLogs) }, CloudWatchEncryptionEnabled: false } },
    });
  });
});

describe('cdk destroy with GPU instances running', () => {
  const { json, stack } = synthCassini();

  // ECS managed termination protection keeps instances protected from scale-in, so an Auto
  // Scaling group deleted the ordinary way never empties. DeleteAutoScalingGroup with ForceDelete
  // terminates the instances too (Amazon EC2 Auto Scaling API Reference).
  it.each(stack.compute.gpuCapacity.map((c) => [c.instanceType, c] as const))('force-deletes the %s group before the group, its capacity provider and the cluster are deleted', (_type, capacity) => {
    const [id, resource] = ofType(json.Resources, 'Custom::AWS').find(([, r]) => JSON.stringify(r.Properties!.Delete).includes(logicalId(capacity.instances)))!;
    const call = JSON.stringify(resource.Properties!.Delete);
    expect(call).toContain('"action\\":\\"DeleteAutoScalingGroup\\"');
    expect(call).toContain('\\"ForceDelete\\":true');
    const dependsOn = (json.Resources[id] as { DependsOn?: string[] }).DependsOn ?? [];
    expect(dependsOn).toEqual(expect.arrayContaining([logicalId(capacity.instances), logicalId(stack.compute.cluster)]));
    const providers = dependsOn.filter((d) => json.Resources[d]!.Type === 'AWS::ECS::CapacityProvider');
    expect(providers.map((d) => JSON.stringify(json.Resources[d]!.Properties!.AutoScalingGroupProvider))).toEqual([expect.stringContaining(logicalId(capacity.instances))]);
  });
});
