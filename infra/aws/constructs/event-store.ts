/**
 * The event store and the read models: two DynamoDB tables with the keys of
 * shared/adapters/dynamodb/tables.ts. The events table is the source of truth, so it keeps
 * point-in-time recovery, deletion protection and survives a stack deletion; its stream
 * (new images: every item is an insert) feeds the processors.
 *
 * Access is granted per adapter, with the exact actions each one sends, never
 * `grantReadWriteData`: see `connect`.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { PlatformFunction } from '../platform-function.ts';

/** Items carrying this attribute (epoch seconds) expire: idempotency keys and other short-lived records. */
export const TTL_ATTRIBUTE = 'expires_at';

/** What shared/adapters/dynamodb/dynamodb-event-store.ts sends to the events table. */
export const EVENT_STORE_ACTIONS = ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:Scan'] as const;
/** What dynamodb-recipe-views.ts and dynamodb-checkpoints.ts send to the views table. */
export const VIEWS_ACTIONS = ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:BatchWriteItem'] as const;

export class EventStore extends Construct {
  readonly events: dynamodb.Table;
  readonly views: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.events = new dynamodb.Table(this, 'Events', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.NUMBER },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      stream: dynamodb.StreamViewType.NEW_IMAGE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Read models can be rebuilt from the events (npm run rebuild-projections), but a rebuild
    // of a large store takes a while: the same protections keep the service up meanwhile.
    this.views = new dynamodb.Table(this, 'Views', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /**
   * Gives a function what `dynamoPlatformFromEnv` (shared/adapters/dynamodb/dynamodb-platform.ts)
   * needs: both table names in EVENTS_TABLE and VIEWS_TABLE, and the actions its three adapters
   * send, each on its own table only.
   */
  connect(fn: PlatformFunction): void {
    fn.addEnvironment('EVENTS_TABLE', this.events.tableName);
    fn.addEnvironment('VIEWS_TABLE', this.views.tableName);
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...EVENT_STORE_ACTIONS], resources: [this.events.tableArn] }));
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...VIEWS_ACTIONS], resources: [this.views.tableArn] }));
  }

  /**
   * Gives a function the event store alone (a DynamoEventStore on EVENTS_TABLE): reading
   * streams and appending events, no views. The SSH admission function's whole access.
   */
  connectEventsOnly(fn: PlatformFunction): void {
    fn.addEnvironment('EVENTS_TABLE', this.events.tableName);
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...EVENT_STORE_ACTIONS], resources: [this.events.tableArn] }));
  }
}
