/**
 * DynamoDB served in-process by dynalite: on disk under a directory (local mode) or in
 * memory (tests, benchmarks). The same client code talks to it as to DynamoDB on AWS, through an
 * HTTP handler that gives each request to dynalite in this process (in-process-handler.ts): the
 * store listens on no port another process of the machine could reach.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dynalite from 'dynalite';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DEFAULT_TABLE_NAMES, eventsTableDefinition, viewsTableDefinition, type TableNames } from '../../shared/adapters/dynamodb/tables.ts';
import { inProcessHandler, type InProcessListener } from './in-process-handler.ts';

export interface EmbeddedDynamo {
  client: DynamoDBClient;
  /** What a client of this store is made with: for another client of it (with middleware of its own, say). */
  clientConfig: DynamoDBClientConfig;
  tables: TableNames;
  close(): Promise<void>;
}

export async function startEmbeddedDynamo(options: { path?: string; tables?: TableNames } = {}): Promise<EmbeddedDynamo> {
  const server = dynalite({ ...(options.path ? { path: options.path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // dynalite closes its LevelDB only as its server closes, so the server listens: on a Unix socket
  // in a directory of this process's own, removed at once, so that nothing can ever connect to it.
  const socketDir = mkdtempSync(join(tmpdir(), 'cassini-dynalite-'));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(join(socketDir, 'closed'), () => resolve());
    });
  } finally {
    rmSync(socketDir, { recursive: true, force: true });
  }
  const [listener] = server.listeners('request') as InProcessListener[];
  const clientConfig: DynamoDBClientConfig = {
    // Names no host: every request is given to dynalite in this process.
    endpoint: 'http://dynalite.in-process',
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: inProcessHandler(listener!),
    maxAttempts: 3,
  };
  const client = new DynamoDBClient(clientConfig);
  const tables = options.tables ?? DEFAULT_TABLE_NAMES;
  await ensureTables(client, tables);
  return {
    client,
    clientConfig,
    tables,
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Creates the tables that do not exist yet: the first start of a data directory. */
export async function ensureTables(client: DynamoDBClient, tables: TableNames): Promise<void> {
  for (const definition of [eventsTableDefinition(tables.events), viewsTableDefinition(tables.views)]) {
    try {
      await client.send(new DescribeTableCommand({ TableName: definition.TableName }));
    } catch {
      try {
        await client.send(new CreateTableCommand(definition));
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
      await untilActive(client, definition.TableName!);
    }
  }
}

/** How many times a new table's status is read before giving up; dynalite activates it within a tick or two. */
const ACTIVATION_CHECKS = 200;

/** A table is created CREATING, and answers "resource not found" to reads until it is ACTIVE. */
async function untilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let check = 0; check < ACTIVATION_CHECKS; check++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`table ${tableName} did not become active`);
}
