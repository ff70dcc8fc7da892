/**
 * DynamoDB served in-process by dynalite: on disk under a directory (local mode) or in
 * memory (tests, benchmarks). The same client code talks to it as to DynamoDB on AWS.
 */
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import { DEFAULT_TABLE_NAMES, eventsTableDefinition, viewsTableDefinition, type TableNames } from '../../shared/adapters/dynamodb/tables.ts';

export interface EmbeddedDynamo {
  client: DynamoDBClient;
  endpoint: string;
  tables: TableNames;
  close(): Promise<void>;
}

export async function startEmbeddedDynamo(options: { path?: string; tables?: TableNames } = {}): Promise<EmbeddedDynamo> {
  const server = dynalite({ ...(options.path ? { path: options.path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler({ httpAgent: agent }),
    maxAttempts: 3,
  });
  const tables = options.tables ?? DEFAULT_TABLE_NAMES;
  await ensureTables(client, tables);
  return {
    client,
    endpoint,
    tables,
    async close() {
      client.destroy();
      agent.destroy();
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
