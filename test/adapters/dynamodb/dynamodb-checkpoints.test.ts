import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { DynamoCheckpoints } from '../../../shared/adapters/dynamodb/dynamodb-checkpoints.ts';

let dynamo: EmbeddedDynamo;
let checkpoints: DynamoCheckpoints;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  checkpoints = new DynamoCheckpoints(dynamo.client, dynamo.tables.views);
});

afterAll(async () => {
  await dynamo.close();
});

describe('DynamoCheckpoints', () => {
  it('starts every consumer and stream at 0', async () => {
    expect(await checkpoints.get('projector', 'resource-new')).toBe(0);
  });

  it('moves forward and never back', async () => {
    // Act
    await checkpoints.advance('projector', 'resource-a', 3);
    const afterFirst = await checkpoints.get('projector', 'resource-a');
    await checkpoints.advance('projector', 'resource-a', 7);
    await checkpoints.advance('projector', 'resource-a', 5);
    const afterBackwards = await checkpoints.get('projector', 'resource-a');
    await checkpoints.advance('projector', 'resource-a', 7);

    // Assess
    expect(afterFirst).toBe(3);
    expect(afterBackwards).toBe(7);
    expect(await checkpoints.get('projector', 'resource-a')).toBe(7);
  });

  it('keeps consumers and streams apart', async () => {
    await checkpoints.advance('reactor', 'resource-b', 2);
    await checkpoints.advance('projector', 'resource-c', 9);
    expect(await checkpoints.get('reactor', 'resource-b')).toBe(2);
    expect(await checkpoints.get('projector', 'resource-b')).toBe(0);
    expect(await checkpoints.get('reactor', 'resource-c')).toBe(0);
  });
});
