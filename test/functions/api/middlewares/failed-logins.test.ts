/**
 * Failed logins limited per client address (issue 19, finding 11), through the API handler over
 * an embedded DynamoDB, with time the test moves: each address may fail a burst of logins, then
 * one per interval, and gets `429 throttled` with `Retry-After` meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../../../infra/local/embedded-dynamodb.ts';
import { createApi } from '../../../../functions/api/create-api.ts';
import { FailedLoginGuard } from '../../../../functions/api/middlewares/failed-logins.ts';
import type { ApiHandler } from '../../../../infra/local/http-adapter.ts';
import { callApi, type ApiReply } from '../../support/api-event.ts';
import { dynamoServices } from '../../../app/support/dynamo-services.ts';
import type { EventStore } from '../../../../shared/ports/event-store.ts';

const ADMIN_TOKEN = 'failed-logins-admin-token';
const BURST = 3;
const INTERVAL_S = 6;

let dynamo: EmbeddedDynamo;
let nowMs = 0;
let handler: ApiHandler;
let heads = 0;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  const { services, store } = dynamoServices(dynamo);
  await services.identity.bootstrapAdmin(ADMIN_TOKEN);
  // Count reads of the store, to see that a refused address costs none.
  const head = store.head.bind(store);
  (store as EventStore).head = (id) => {
    heads++;
    return head(id);
  };
  handler = createApi({ services: { ...services, version: '0.0.0-test' }, failedLogins: { ratePerSecond: 1 / INTERVAL_S, burst: BURST, now: () => nowMs } }) as unknown as ApiHandler;
});

afterAll(async () => {
  await dynamo?.close();
});

function fromAddress(address: string, authorization: string): Promise<ApiReply & { body: { code?: string; message?: string } }> {
  return callApi(handler, { method: 'GET', path: '/api/user', headers: { authorization }, sourceIp: address }).then((reply) => ({ ...reply, body: (reply.json ?? {}) as { code?: string; message?: string } }));
}

describe('failed logins', () => {
  it(`answers 401 to ${BURST} bad tokens from one address, then 429 with Retry-After without looking the token up`, async () => {
    // Prepare
    nowMs = 1_000_000;
    for (let i = 0; i < BURST; i++) expect((await fromAddress('198.51.100.7', `Bearer cas_guess${i}`)).status).toBe(401);
    const readsBefore = heads;

    // Act
    const refused = await fromAddress('198.51.100.7', 'Bearer cas_guess-again');

    // Assess
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('throttled');
    expect(refused.body.message).toMatch(/failed logins/);
    expect(refused.headers['retry-after']).toBe(String(INTERVAL_S));
    expect(heads).toBe(readsBefore);
  });

  it('counts malformed Authorization headers as failures too', async () => {
    nowMs = 2_000_000;
    for (let i = 0; i < BURST; i++) expect((await fromAddress('198.51.100.8', 'Basic bm9wZQ==')).status).toBe(401);
    expect((await fromAddress('198.51.100.8', 'Basic bm9wZQ==')).status).toBe(429);
  });

  it('lets another address, and a token that worked before, through while an address is refused', async () => {
    // Prepare: the admin's token works from the address, then the address fails its whole burst
    nowMs = 3_000_000;
    expect((await fromAddress('198.51.100.9', `Bearer ${ADMIN_TOKEN}`)).status).toBe(200);
    for (let i = 0; i < BURST; i++) await fromAddress('198.51.100.9', `Bearer cas_guess${i}`);

    // Act
    const guess = await fromAddress('198.51.100.9', 'Bearer cas_guess-more');
    const knownGood = await fromAddress('198.51.100.9', `Bearer ${ADMIN_TOKEN}`);
    const elsewhere = await fromAddress('203.0.113.1', 'Bearer cas_guess0');

    // Assess
    expect(guess.status).toBe(429);
    expect(knownGood.status).toBe(200);
    expect(elsewhere.status).toBe(401);
  });

  it('lets one more failure through per interval', async () => {
    // Prepare
    nowMs = 4_000_000;
    for (let i = 0; i < BURST; i++) await fromAddress('198.51.100.10', `Bearer cas_guess${i}`);
    expect((await fromAddress('198.51.100.10', 'Bearer cas_guess')).status).toBe(429);

    // Act
    nowMs += INTERVAL_S * 1000 - 1;
    const early = await fromAddress('198.51.100.10', 'Bearer cas_guess');
    // Two milliseconds on: a rate of 1/6 per second is not exact in floating point.
    nowMs += 2;
    const onTime = await fromAddress('198.51.100.10', 'Bearer cas_guess');
    const next = await fromAddress('198.51.100.10', 'Bearer cas_guess');

    // Assess
    expect(early.status).toBe(429);
    expect(early.headers['retry-after']).toBe('1');
    expect(onTime.status).toBe(401);
    expect(next.status).toBe(429);
  });
});

describe('FailedLoginGuard', () => {
  it('forgets a known-good token once it is refused (revoked or expired)', () => {
    // Prepare
    const now = 0;
    const guard = new FailedLoginGuard({ ratePerSecond: 1, burst: 1, now: () => now });
    guard.succeeded('token-a');
    guard.failed('192.0.2.1', 'token-a');

    // Act and assess
    expect(() => guard.admit('192.0.2.1', 'token-a')).toThrow(/failed logins/);
  });
});
