/** The platform's ports on real DynamoDB, for the Lambda functions. Table names come from the environment. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoEventStore } from './dynamodb-event-store.ts';
import { DynamoRecipeViews } from './dynamodb-recipe-views.ts';
import { DynamoCheckpoints } from './dynamodb-checkpoints.ts';
import { DynamoRunViews } from './dynamodb-run-views.ts';
import { DynamoCatalogViews } from './dynamodb-catalog-views.ts';
import { DynamoTokenViews } from './dynamodb-token-views.ts';
import { DynamoPrincipalViews } from './dynamodb-principal-views.ts';
import { DynamoDeferrals } from './dynamodb-deferrals.ts';
import { DynamoUsageViews } from './dynamodb-usage-views.ts';
import { systemClock } from '../node-platform.ts';

export interface DynamoPlatform {
  store: DynamoEventStore;
  views: DynamoRecipeViews;
  runViews: DynamoRunViews;
  checkpoints: DynamoCheckpoints;
  catalogViews: DynamoCatalogViews;
  tokenViews: DynamoTokenViews;
  principalViews: DynamoPrincipalViews;
  deferrals: DynamoDeferrals;
  usageViews: DynamoUsageViews;
}

export function dynamoPlatformFromEnv(env: NodeJS.ProcessEnv = process.env): DynamoPlatform {
  const events = env.EVENTS_TABLE;
  const views = env.VIEWS_TABLE;
  if (!events || !views) throw new Error('EVENTS_TABLE and VIEWS_TABLE must be set');
  const client = new DynamoDBClient({});
  return {
    store: new DynamoEventStore({ client, tableName: events }),
    views: new DynamoRecipeViews(client, views),
    runViews: new DynamoRunViews(client, views),
    checkpoints: new DynamoCheckpoints(client, views),
    catalogViews: new DynamoCatalogViews(client, views),
    tokenViews: new DynamoTokenViews(client, views),
    principalViews: new DynamoPrincipalViews(client, views),
    deferrals: new DynamoDeferrals(client, views, systemClock),
    usageViews: new DynamoUsageViews(client, views),
  };
}
