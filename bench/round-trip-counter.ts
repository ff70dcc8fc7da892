/**
 * Counts HTTP requests a DynamoDBClient actually sends. The middleware sits in the
 * finalizeRequest step at low priority, i.e. inside the SDK's retry middleware (high
 * priority in the same step), so every retry attempt is counted as its own round trip,
 * not just every `client.send`.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface RoundTripCounter {
  /** HTTP requests sent through the client since the counter was attached. */
  readonly count: number;
}

export function countRoundTrips(client: DynamoDBClient): RoundTripCounter {
  const counter = { count: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      counter.count++;
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'benchRoundTripCounter' },
  );
  return counter;
}
