/**
 * `npm run rebuild-projections`: rebuilds the read models of the local data directory from
 * its events. The data directory belongs to one process at a time, so stop `npm start` first.
 */
import { resolve, join } from 'node:path';
import { existsSync } from 'node:fs';
import { startEmbeddedDynamo } from './embedded-dynamodb.ts';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoRecipeViews } from '../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { DynamoRunViews } from '../../shared/adapters/dynamodb/dynamodb-run-views.ts';
import { DynamoCatalogViews } from '../../shared/adapters/dynamodb/dynamodb-catalog-views.ts';
import { DynamoTokenViews } from '../../shared/adapters/dynamodb/dynamodb-token-views.ts';
import { DynamoUsageViews } from '../../shared/adapters/dynamodb/dynamodb-usage-views.ts';
import { DynamoPrincipalViews } from '../../shared/adapters/dynamodb/dynamodb-principal-views.ts';
import { rebuildProjections } from '../../shared/app/consumers/rebuild-projections.ts';
import { lockDataDir } from './data-dir-lock.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<void> {
  const dataDir = resolve(process.env.DATA_DIR ?? '.data');
  const path = join(dataDir, 'dynamodb');
  if (!existsSync(path)) throw new Error(`No data in ${dataDir}: nothing to rebuild.`);
  const lock = lockDataDir(dataDir, 'npm run rebuild-projections');
  const db = await startEmbeddedDynamo({ path });
  try {
    const started = Date.now();
    const result = await rebuildProjections({
      store: new DynamoEventStore({ client: db.client, tableName: db.tables.events }),
      views: new DynamoRecipeViews(db.client, db.tables.views),
      runViews: new DynamoRunViews(db.client, db.tables.views),
      catalogViews: new DynamoCatalogViews(db.client, db.tables.views),
      tokenViews: new DynamoTokenViews(db.client, db.tables.views),
      principalViews: new DynamoPrincipalViews(db.client, db.tables.views),
      usageViews: new DynamoUsageViews(db.client, db.tables.views),
    });
    console.log(`Rebuilt the recipe, run, catalog, token and usage views from ${result.streams} streams in ${Date.now() - started} ms.`);
  } finally {
    await db.close();
    lock.release();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
