/**
 * Domain events for integrations: a custom EventBridge bus that receives every committed batch
 * of domain events, with an archive (a year) so an integration can replay what it missed.
 *
 * An EventBridge Pipe carries them from the events table's stream to the bus, with no code:
 * every insert (one committed batch) becomes one bus event with source `cassini.events`,
 * detail-type `EventBatchCommitted`, and as detail what the batch is about, not what it holds:
 * the stream id, first and last versions, commit time, and each event's type and actor (the
 * item's `h`, shared/adapters/dynamodb/batch-item.ts). An item may reach DynamoDB's 400 KB, an
 * event bus entry only 256 KB, so the events' data and the snapshot stay out: an integration
 * that needs them asks the API. The pipe retries, splits failing batches and sends what it
 * cannot deliver to its dead-letter queue, which is alarmed.
 *
 * Other publishers (e.g. the reactor publishing one bus event per domain event) get
 * `grantPublish`.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterQueue } from '../dead-letter-queue.ts';
import type { EventStore } from './event-store.ts';
import type { Observability } from './observability.ts';

export const EVENT_SOURCE = 'cassini.events';
export const BATCH_DETAIL_TYPE = 'EventBatchCommitted';
export const ARCHIVE_RETENTION = Duration.days(365);

/**
 * The bus event's detail, from the stream record. Per "Amazon EventBridge Pipes input
 * transformation", a path to a string is quoted and a path to an array is not; versions are
 * DynamoDB numbers, which the record carries as strings, so they stay strings here.
 */
export const BATCH_DETAIL_TEMPLATE = `{
  "stream": "<$.dynamodb.NewImage.pk.S>",
  "firstVersion": "<$.dynamodb.NewImage.sk.N>",
  "lastVersion": "<$.dynamodb.NewImage.n.N>",
  "committedAt": "<$.dynamodb.NewImage.at.S>",
  "events": <$.dynamodb.NewImage.h.L>
}`;

export interface IntegrationsProps {
  eventStore: EventStore;
  observability: Observability;
}

export class Integrations extends Construct {
  readonly bus: events.EventBus;
  readonly archive: events.Archive;
  readonly pipe: pipes.CfnPipe;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: IntegrationsProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', { description: 'Cassini domain events, for integrations' });
    this.archive = this.bus.archive('Archive', {
      description: 'Every Cassini domain event, for replay',
      eventPattern: { account: [Stack.of(this).account] },
      retention: ARCHIVE_RETENTION,
    });

    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetters', { catches: 'the event publishing pipe', label: 'Event publishing dead letters', observability: props.observability });

    const streamArn = props.eventStore.events.tableStreamArn!;
    const role = new iam.Role(this, 'PipeRole', {
      description: 'Cassini pipe: events table stream to the domain events bus',
      assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': Stack.of(this).account } }),
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        resources: [streamArn],
      }),
    );
    this.bus.grantPutEventsTo(role);
    this.deadLetterQueue.grantSendMessages(role);

    this.pipe = new pipes.CfnPipe(this, 'Pipe', {
      description: 'Publishes every committed batch of domain events on the integrations bus',
      roleArn: role.roleArn,
      source: streamArn,
      sourceParameters: {
        dynamoDbStreamParameters: {
          startingPosition: 'LATEST',
          batchSize: 10,
          maximumRetryAttempts: 10,
          onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
        },
        // Items are only ever inserted; anything else (a TTL deletion) is not a domain event.
        filterCriteria: { filters: [{ pattern: JSON.stringify({ eventName: ['INSERT'] }) }] },
      },
      target: this.bus.eventBusArn,
      targetParameters: {
        eventBridgeEventBusParameters: { source: EVENT_SOURCE, detailType: BATCH_DETAIL_TYPE },
        inputTemplate: BATCH_DETAIL_TEMPLATE,
      },
    });
    // The role's policy must exist before the pipe starts reading.
    this.pipe.node.addDependency(role);
  }

  /** Lets `grantee` put events on the bus. */
  grantPublish(grantee: iam.IGrantable): void {
    this.bus.grantPutEventsTo(grantee);
  }
}
