/**
 * The consumers of the events table's stream (`addConsumer`): one function runs the whole
 * consumer pipeline (functions/reactor/handler.ts). Its Lambda event source mapping
 *  - reads every shard in order (parallelization 1) from the oldest record still kept,
 *  - takes the handler's partial batch response (`batchItemFailures`) so only the failed
 *    record and what follows it are retried,
 *  - splits a failing batch in two (bisect) to isolate a poison record,
 *  - retries a bounded number of times, then sends the record's coordinates to the SQS
 *    on-failure queue and moves on. Nothing is lost by moving on: consumers read the batches
 *    they missed from the table when they see a gap (shared/app/consumers/ordered-delivery.ts),
 *    and the queue's alarm tells an operator to look.
 *
 * DynamoDB Streams advises at most two readers per shard ("Change data capture for DynamoDB
 * Streams"): the consumers function and the integrations pipe (integrations.ts). A second
 * consumer function would make three; add consumers to the pipeline instead.
 *
 * A consumer that fails on a stream is deferred by the pipeline, not failed: `retryDeferred`
 * invokes the function every minute to retry what was deferred.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { catchFailedInvocations, deadLetterQueue } from '../dead-letter-queue.ts';
import { PlatformFunction, type PlatformFunctionProps } from '../platform-function.ts';
import type { EventStore } from './event-store.ts';
import type { Observability } from './observability.ts';

/** Attempts after the first before a record goes to the on-failure queue. */
export const STREAM_RETRY_ATTEMPTS = 10;
export const STREAM_BATCH_SIZE = 100;
/** How often deferred deliveries are retried (infra/local/event-feed.ts does the same locally). */
export const RETRY_DEFERRED_EVERY = Duration.minutes(1);

export interface ProcessorsProps {
  eventStore: EventStore;
  observability: Observability;
}

export class Processors extends Construct {
  /** Where records that exhausted their retries are reported (metadata only: shard and sequence numbers). */
  readonly failures: sqs.Queue;
  readonly consumers: PlatformFunction[] = [];

  constructor(scope: Construct, id: string, private readonly props: ProcessorsProps) {
    super(scope, id);
    this.failures = deadLetterQueue(this, 'OnFailure', { catches: 'the stream consumers (their on-failure destination)', label: 'Stream consumer failures', observability: props.observability });
  }

  /**
   * A new consumer of the events stream, connected to both tables (see EventStore.connect),
   * watched by the dashboard and alarms. Returns the function, for further grants.
   */
  addConsumer(id: string, props: PlatformFunctionProps): PlatformFunction {
    const consumer = new PlatformFunction(this, id, { timeout: Duration.seconds(60), ...props });
    this.props.eventStore.connect(consumer);
    consumer.fn.addEventSource(
      new DynamoEventSource(this.props.eventStore.events, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: STREAM_BATCH_SIZE,
        parallelizationFactor: 1,
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: STREAM_RETRY_ATTEMPTS,
        onFailure: new SqsDlq(this.failures),
      }),
    );
    Validations.of(consumer.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Two actions without resource-level permissions: dynamodb:ListStreams, which the event source mapping needs (CDK grantStreamRead), ' +
        'and X-Ray PutTraceSegments/PutTelemetryRecords for active tracing. Stream reads are limited to the events stream.',
    });
    this.props.observability.watchStreamConsumer(consumer, id);
    this.consumers.push(consumer);
    return consumer;
  }

  /**
   * Invokes `consumer` every minute with a scheduled event, on which it retries the deliveries
   * its pipeline deferred. A tick it fails on goes, after Lambda's retries, to the failures queue.
   */
  retryDeferred(consumer: PlatformFunction): events.Rule {
    const rule = new events.Rule(this, `${consumer.node.id}RetryDeferred`, {
      description: 'Retries the stream deliveries the Cassini consumer pipeline deferred',
      schedule: events.Schedule.rate(RETRY_DEFERRED_EVERY),
    });
    // A tick older than the next is worth nothing: the next one does the same work.
    rule.addTarget(new eventTargets.LambdaFunction(consumer.fn, { deadLetterQueue: this.failures, retryAttempts: 2, maxEventAge: RETRY_DEFERRED_EVERY }));
    catchFailedInvocations(consumer.fn, this.failures);
    return rule;
  }
}
