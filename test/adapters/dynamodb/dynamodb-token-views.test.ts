import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { DynamoTokenViews } from '../../../shared/adapters/dynamodb/dynamodb-token-views.ts';
import type { TokenRecord } from '../../../shared/domain/identity/token-decider.ts';

let dynamo: EmbeddedDynamo;
let views: DynamoTokenViews;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  views = new DynamoTokenViews(dynamo.client, dynamo.tables.views);
});

afterAll(async () => {
  await dynamo?.close();
});

const HASH = 'ab'.repeat(32);
const token = (username: string, tokenId: string, overrides: Partial<TokenRecord> = {}): TokenRecord => ({
  tokenId,
  username,
  hash: HASH,
  expiresAt: null,
  issuedAt: '2026-01-01T00:00:00.000Z',
  issuedBy: username,
  scope: 'user',
  lineage: [],
  lastUsedAt: null,
  revoked: false,
  ...overrides,
});

describe('DynamoTokenViews', () => {
  it('lists one user\'s tokens only, never going back to an older version', async () => {
    // Prepare
    await views.put(token('ann', 't1', { lastUsedAt: '2026-01-02T00:00:00.000Z' }), 3);
    await views.put(token('ann', 't1'), 2);
    await views.put(token('ann', 't2', { revoked: true }), 2);
    await views.put(token('ann/x', 't3'), 1);
    await views.put(token('anna', 't4'), 1);

    // Act
    const listed = await views.list('ann');

    // Assess
    expect(listed.map((t) => [t.tokenId, t.lastUsedAt, t.revoked])).toEqual([
      ['t1', '2026-01-02T00:00:00.000Z', false],
      ['t2', null, true],
    ]);
  });

  it('never stores a token\'s hash, and clear drops every view', async () => {
    // Prepare
    await views.put(token('bob', 't5'), 1);

    // Act
    const stored = await dynamo.client.send(new ScanCommand({ TableName: dynamo.tables.views }));
    await views.clear();

    // Assess
    expect(JSON.stringify(stored.Items)).not.toContain(HASH);
    expect(await views.list('bob')).toEqual([]);
    expect(await views.list('ann')).toEqual([]);
  });
});
