/**
 * One CloudWatch dashboard and the alarms an operator acts on, all sent to one SNS topic (the
 * first admin's e-mail is subscribed when given):
 *  - any message in a dead-letter or on-failure queue (something was given up on),
 *  - stream iterator age (a consumer is falling behind, or stuck on a record),
 *  - API 5xx answers (the contract promises none for what a client sends),
 *  - errors of any platform Lambda function.
 * Other constructs register what they create (`watchFunction`, `watchStreamConsumer`,
 * `watchQueue`, `watchHttpApi`), so a new function or queue is watched by the line that wires it.
 */
import { Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { PlatformFunction } from '../platform-function.ts';

/** A consumer this far behind the stream's head raises an alarm (the stream keeps 24 h). */
export const MAX_ITERATOR_AGE = Duration.minutes(5);
/** API 5xx answers in five minutes that raise an alarm. */
export const API_5XX_THRESHOLD = 5;

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
