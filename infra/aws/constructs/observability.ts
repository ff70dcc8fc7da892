/**
 * One CloudWatch dashboard and the alarms an operator acts on, all sent to one SNS topic (the
 * `alarmEmail`, by default the first admin's, is subscribed when given), encrypted with a key
 * CloudWatch may use. README "Alarms" says what each means and what to do:
 *  - any message in a dead-letter, on-failure or failed-invocations queue (something was given up on),
 *  - stream iterator age (a consumer is falling behind, or stuck on a record),
 *  - API 5xx answers (the contract promises none for what a client sends),
 *  - errors of any platform Lambda function,
 *  - ECS tasks that failed to start, load balancer 5xx and unhealthy targets, Scheduler target
 *    errors, DynamoDB throttles.
 * Other constructs register what they create (`watchFunction`, `watchStreamConsumer`,
 * `watchQueue`, `watchHttpApi`, ...), so a new function or queue is watched by the line that wires it.
 */
import { Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as events from 'aws-cdk-lib/aws-events';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { PlatformFunction } from '../platform-function.ts';
import { METRICS_NAMESPACE } from '../../../functions/observability.ts';

/** A consumer this far behind the stream's head raises an alarm (the stream keeps 24 h). */
export const MAX_ITERATOR_AGE = Duration.minutes(5);
/** API 5xx answers in five minutes that raise an alarm. */
export const API_5XX_THRESHOLD = 5;
/** Load balancer 5xx answers (its own and the targets') in five minutes that raise an alarm. */
export const LOAD_BALANCER_5XX_THRESHOLD = 10;

export interface ObservabilityProps {
  alarmEmail?: string;
}

export class Observability extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarmTopic: sns.Topic;
  /** The alarm topic's key: customer managed, so its policy can let CloudWatch publish. */
  readonly alarmTopicKey: kms.Key;
  readonly alarms: cloudwatch.Alarm[] = [];
  private readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    // CloudWatch alarms cannot publish to a topic encrypted with the AWS managed key
    // `alias/aws/sns`, whose policy cannot be changed: the key must be customer managed and its
    // policy must let cloudwatch.amazonaws.com use it ("Encryption at rest": "Configure AWS KMS
    // permissions for AWS services", Amazon SNS Developer Guide).
    this.alarmTopicKey = new kms.Key(this, 'AlarmsKey', {
      description: 'Cassini alarm topic: lets CloudWatch alarms publish to the encrypted topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.alarmTopicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        // Alarms of this account only (confused-deputy protection).
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.alarmTopic = new sns.Topic(this, 'Alarms', {
      displayName: 'Cassini alarms',
      masterKey: this.alarmTopicKey,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    this.action = new actions.SnsAction(this.alarmTopic);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
  }

  private alarm(id: string, props: cloudwatch.AlarmProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, props);
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }

  /** Errors alarm, and invocations, errors, duration and throttles on the dashboard. */
  watchFunction(fn: PlatformFunction, label: string): void {
    const errors = fn.fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM });
    this.alarm(`${Names.nodeUniqueId(fn.node)}Errors`, {
      alarmDescription: `${label}: the Lambda function failed (see its log group ${fn.logGroup.logGroupName})`,
      metric: errors,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: `${label}: invocations and errors`, left: [fn.fn.metricInvocations(), errors, fn.fn.metricThrottles()], width: 12 }),
      new cloudwatch.GraphWidget({
        title: `${label}: duration`,
        left: [fn.fn.metricDuration({ statistic: cloudwatch.Stats.p(50) }), fn.fn.metricDuration({ statistic: cloudwatch.Stats.p(99) })],
        width: 12,
      }),
    );
  }

  /** A stream consumer: everything of `watchFunction`, and an iterator age alarm. */
  watchStreamConsumer(fn: PlatformFunction, label: string): void {
    this.watchFunction(fn, label);
    const iteratorAge = fn.fn.metric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1) });
    this.alarm(`${Names.nodeUniqueId(fn.node)}IteratorAge`, {
      alarmDescription: `${label}: more than ${MAX_ITERATOR_AGE.toMinutes()} minutes behind the events stream`,
      metric: iteratorAge,
      threshold: MAX_ITERATOR_AGE.toMilliseconds(),
      evaluationPeriods: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.dashboard.addWidgets(new cloudwatch.GraphWidget({ title: `${label}: iterator age (ms)`, left: [iteratorAge], width: 24 }));
  }

  /** A dead-letter queue: any visible message raises an alarm. */
  watchQueue(queue: sqs.IQueue, label: string): void {
    const depth = queue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1) });
    this.alarm(`${Names.nodeUniqueId(queue.node)}Depth`, {
      alarmDescription: `${label}: messages are waiting in ${queue.queueName}; something was given up on`,
      metric: depth,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.dashboard.addWidgets(new cloudwatch.SingleValueWidget({ title: `${label}: messages`, metrics: [depth], width: 8 }));
  }

  /**
   * Tasks ECS could not start (`stopCode` TaskFailedToStart: no capacity for a GPU type, an
   * image that cannot be pulled, a secret that cannot be read): `rule` matches their state
   * changes, and any match in five minutes raises an alarm (AWS/Events MatchedEvents).
   */
  watchTaskStartFailures(rule: events.Rule): void {
    const failed = new cloudwatch.Metric({ namespace: 'AWS/Events', metricName: 'MatchedEvents', dimensionsMap: { RuleName: rule.ruleName }, statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) });
    this.alarm('TasksFailedToStart', {
      alarmDescription: 'ECS tasks failed to start: see the stoppedReason of the cluster\'s stopped tasks (capacity for a GPU type, an image pull, a secret)',
      metric: failed,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.dashboard.addWidgets(new cloudwatch.GraphWidget({ title: 'ECS tasks that failed to start', left: [failed], width: 12 }));
  }

  /**
   * Job tasks launched 15 minutes ago or more that ECS has not started, and deployments' and
   * workspaces' replicas ECS created 15 minutes ago or more and still holds in PROVISIONING (no
   * capacity takes them), as the reconciler counts them each minute (`TasksWaitingToStart`).
   */
  watchTasksWaitingToStart(reconciler: PlatformFunction): void {
    const waiting = new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: 'TasksWaitingToStart', dimensionsMap: { service: 'reconciler' }, statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5) });
    this.alarm('TasksWaitingToStart', {
      alarmDescription: `Job tasks or deployment/workspace replicas started 15 minutes ago are still not running (PROVISIONING): no capacity takes them; check the GPU type's Auto Scaling group (${Names.nodeUniqueId(reconciler.node)}'s metric TasksWaitingToStart; its log line "reconciled" splits jobs and services)`,
      metric: waiting,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.dashboard.addWidgets(new cloudwatch.GraphWidget({ title: 'Tasks waiting to start (15 min or more)', left: [waiting], width: 12 }));
  }

  /** The load balancer: its and its targets' 5xx answers, and any unhealthy target of any target group (made at run time). */
  watchLoadBalancer(loadBalancer: elbv2.ApplicationLoadBalancer): void {
    const elb5xx = loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM });
    const target5xx = loadBalancer.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM });
    const errors = new cloudwatch.MathExpression({ expression: 'FILL(elb, 0) + FILL(target, 0)', usingMetrics: { elb: elb5xx, target: target5xx }, label: 'load balancer and target 5xx', period: Duration.minutes(5) });
    this.alarm('LoadBalancer5xx', {
      alarmDescription: `Load balancer: ${LOAD_BALANCER_5XX_THRESHOLD} or more 5xx answers in 5 minutes (a deployment or workspace failing, or none healthy behind its rule)`,
      metric: errors,
      threshold: LOAD_BALANCER_5XX_THRESHOLD,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // Target groups are created per deployment at run time: a Metrics Insights query covers them all.
    const unhealthy = new cloudwatch.MathExpression({
      expression: `SELECT MAX(UnHealthyHostCount) FROM SCHEMA("AWS/ApplicationELB", LoadBalancer, TargetGroup) WHERE LoadBalancer = '${loadBalancer.loadBalancerFullName}'`,
      usingMetrics: {},
      label: 'unhealthy targets',
      period: Duration.minutes(1),
    });
    this.alarm('UnhealthyTargets', {
      alarmDescription: 'Load balancer: a deployment or workspace replica fails its health check for 5 minutes',
      metric: unhealthy,
      threshold: 1,
      evaluationPeriods: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.dashboard.addWidgets(new cloudwatch.GraphWidget({ title: 'Load balancer: 5xx and unhealthy targets', left: [errors], right: [unhealthy], width: 24 }));
  }

  /** EventBridge Scheduler: a schedule whose target (the schedule-target function) failed or whose invocation was dropped. */
  watchScheduler(): void {
    const metric = (metricName: string) => new cloudwatch.Metric({ namespace: 'AWS/Scheduler', metricName, statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) });
    const errors = new cloudwatch.MathExpression({
      expression: 'FILL(targetErrors, 0) + FILL(dropped, 0)',
      usingMetrics: { targetErrors: metric('TargetErrorCount'), dropped: metric('InvocationDroppedCount') },
      label: 'schedule target errors and dropped invocations',
      period: Duration.minutes(5),
    });
    this.alarm('SchedulerTargetErrors', {
      alarmDescription: 'EventBridge Scheduler could not invoke a job schedule\'s target (errors or dropped invocations): see the schedule dead-letter queue',
      metric: errors,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.dashboard.addWidgets(new cloudwatch.GraphWidget({ title: 'Scheduler: target errors and dropped invocations', left: [errors], width: 12 }));
  }

  /** A DynamoDB table: any throttled read or write raises an alarm (on-demand tables throttle too, past their partition limits). */
  watchTable(table: dynamodb.ITable, label: string): void {
    const throttles = new cloudwatch.MathExpression({
      expression: 'FILL(reads, 0) + FILL(writes, 0)',
      usingMetrics: {
        reads: table.metric('ReadThrottleEvents', { statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
        writes: table.metric('WriteThrottleEvents', { statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
      },
      label: `${label}: throttled reads and writes`,
      period: Duration.minutes(5),
    });
    this.alarm(`${Names.nodeUniqueId(table.node)}Throttles`, {
      alarmDescription: `${label}: DynamoDB throttled reads or writes (a hot key, or a burst past the table's limits); the SDK retries, users may see slow or 503 answers`,
      metric: throttles,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.dashboard.addWidgets(new cloudwatch.GraphWidget({ title: `${label}: throttles`, left: [throttles], width: 12 }));
  }

  /** The HTTP API: 5xx alarm, and requests, errors and latency on the dashboard. */
  watchHttpApi(api: apigw.HttpApi, label: string): void {
    const serverErrors = api.metricServerError({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM });
    this.alarm('Api5xx', {
      alarmDescription: `${label}: ${API_5XX_THRESHOLD} or more 5xx answers in 5 minutes`,
      metric: serverErrors,
      threshold: API_5XX_THRESHOLD,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: `${label}: requests and errors`, left: [api.metricCount(), api.metricClientError(), serverErrors], width: 12 }),
      new cloudwatch.GraphWidget({ title: `${label}: latency`, left: [api.metricLatency({ statistic: cloudwatch.Stats.p(50) }), api.metricLatency({ statistic: cloudwatch.Stats.p(99) })], width: 12 }),
    );
  }
}
