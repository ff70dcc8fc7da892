/**
 * A DynamoDB client for bulk loading a fresh table: every `PutItem` the platform's adapters
 * send is gathered into `BatchWriteItem`s of 25 (a few in flight), so loading hundreds of
 * thousands of items costs a fraction of one round trip each. Conditions are dropped: the
 * generator writes each key once into empty tables, where every condition would hold. Other
 * commands go to the real client as they are (no read needs an item still gathered here, as
 * nothing is written twice).
 */
import { BatchWriteItemCommand, PutItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';

const BATCH_ITEMS = 25;
const IN_FLIGHT = 6;

export class BatchingDynamoClient {
  readonly #pending = new Map<string, WriteRequest[]>();
  readonly #inFlight = new Set<Promise<void>>();

  constructor(private readonly client: DynamoDBClient) {}

  /** Stands in for `DynamoDBClient` in the adapters' constructors. */
  asClient(): DynamoDBClient {
    return this as unknown as DynamoDBClient;
  }

  async send(command: { input: unknown }): Promise<unknown> {
    if (!(command instanceof PutItemCommand)) return this.client.send(command as never);
    const { TableName, Item } = command.input;
    const requests = this.#pending.get(TableName!) ?? [];
    requests.push({ PutRequest: { Item: Item! } });
    this.#pending.set(TableName!, requests);
    if (requests.length >= BATCH_ITEMS) await this.#write(TableName!, requests.splice(0));
    return {};
  }

  /** Writes everything still gathered and waits for every write. */
  async flush(): Promise<void> {
    for (const [table, requests] of this.#pending) if (requests.length > 0) await this.#write(table, requests.splice(0));
    await Promise.all(this.#inFlight);
  }

  async #write(table: string, requests: WriteRequest[]): Promise<void> {
    while (this.#inFlight.size >= IN_FLIGHT) await Promise.race(this.#inFlight);
    const write = (async () => {
      let left: WriteRequest[] = requests;
      while (left.length > 0) {
        const result = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [table]: left } }));
        left = result.UnprocessedItems?.[table] ?? [];
      }
    })();
    this.#inFlight.add(write);
    void write.finally(() => this.#inFlight.delete(write));
  }
}
