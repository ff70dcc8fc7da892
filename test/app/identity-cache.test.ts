/**
 * Authentication from memory (IdentityService with a StreamStateCache, as local mode wires it):
 * a token and its user are read once, and every event that changes who may do what is seen on
 * the very next request — the token revoked, expired (no event: decided at each request), the
 * token it was issued with revoked, the user regrouped or made admin — and a restart (a new
 * cache over the same store) starts from what is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { StreamStateCache } from '../../shared/app/stream-state-cache.ts';
import { IdentityService } from '../../shared/app/identity-service.ts';
import { systemRandom } from '../../shared/adapters/node-platform.ts';
import { UnauthenticatedError } from '../../shared/domain/errors.ts';
import type { EventStore } from '../../shared/ports/event-store.ts';
import type { User } from '../../shared/domain/identity/principal-decider.ts';
import type { Credential } from '../../shared/domain/identity/credential.ts';
import { TOKEN_USE_RESOLUTION_MS } from '../../shared/domain/identity/token-decider.ts';

const DAY_MS = 86_400_000;
let dynamo: EmbeddedDynamo;
let raw: EventStore;
let now = new Date('2026-12-01T00:00:00.000Z');
let counter = 0;
const admin: User = { username: 'admin', email: null, groups: [], admin: true };
const signedIn: Credential = { kind: 'directory' };

/** The local wiring: one cache, and every write of the process through its watch; `heads` counts store reads. */
function cachedIdentity(): { identity: IdentityService; reads: () => number } {
  const cache = new StreamStateCache();
  let heads = 0;
  const watched = cache.watching(raw);
  const store: EventStore = { ...watched, head: (id) => (heads++, watched.head(id)) };
  return { identity: new IdentityService({ store, clock: { now: () => now }, random: systemRandom, cache }), reads: () => heads };
}

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  raw = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
});

afterAll(async () => {
  await dynamo?.close();
});

async function newUser(identity: IdentityService, groups = ['ml']): Promise<User> {
  return identity.createUser(admin, { username: `cache-user-${++counter}`, email: null, groups, admin: false });
}

async function refusal(identity: IdentityService, token: string): Promise<string> {
  const error = await identity.authenticate(token).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(UnauthenticatedError);
  return (error as Error).message;
}

/** A token whose use was recorded: from then on its caller is remembered until something changes. */
async function remembered(identity: IdentityService, token: string): Promise<void> {
  await identity.recordTokenUse((await identity.authenticate(token)).credential);
  const first = await identity.authenticate(token);
  expect(await identity.authenticate(token), 'the second request is answered from memory').toBe(first);
}

describe('authentication from memory', () => {
  it('reads a token and its user once, then nothing per request', async () => {
    // Prepare
    const { identity, reads } = cachedIdentity();
    const user = await newUser(identity);
    const { token } = await identity.issueToken(admin, signedIn, user.username);
    await identity.authenticate(token);
    const before = reads();

    // Act
    for (let i = 0; i < 10; i++) await identity.authenticate(token);

    // Assess
    expect(reads() - before).toBe(0);
  });

  it('refuses a revoked token on the very next request', async () => {
    // Prepare
    const { identity } = cachedIdentity();
    const user = await newUser(identity);
    const issued = await identity.issueToken(admin, signedIn, user.username);
    expect((await identity.authenticate(issued.token)).user.username).toBe(user.username);

    // Act
    await identity.revokeToken(admin, issued.token_id);

    // Assess
    expect(await refusal(identity, issued.token)).toMatch(/not valid/);
  });

  it.each([
    ['resolved once', async (identity: IdentityService, token: string) => void (await identity.authenticate(token))],
    ['remembered after its use was recorded', remembered],
  ])('refuses a token %s once its expiry passes, with no event to say so', async (_how, warm) => {
    // Prepare
    const { identity } = cachedIdentity();
    const user = await newUser(identity);
    const { token } = await identity.issueToken(admin, signedIn, user.username, 1);
    await warm(identity, token);

    // Act
    const issuedAt = now;
    now = new Date(issuedAt.getTime() + DAY_MS + 1);

    // Assess
    try {
      expect(await refusal(identity, token)).toMatch(/expired/);
    } finally {
      now = issuedAt;
    }
  });

  it('refuses a token when the token it was issued with is revoked', async () => {
    // Prepare: a child token, issued by a request that presented the parent
    const { identity } = cachedIdentity();
    const user = await newUser(identity);
    const parent = await identity.issueToken(admin, signedIn, user.username);
    const caller = await identity.authenticate(parent.token);
    const child = await identity.issueToken(caller.user, caller.credential, user.username);
    await identity.authenticate(child.token);

    // Act
    await identity.revokeToken(admin, parent.token_id);

    // Assess
    expect(await refusal(identity, child.token)).toMatch(/revoked or has expired/);
  });

  it("follows the user's own stream: regrouped, or made an admin, on the very next request", async () => {
    // Prepare
    const { identity } = cachedIdentity();
    const user = await newUser(identity, ['ml']);
    const { token } = await identity.issueToken(admin, signedIn, user.username);
    expect((await identity.authenticate(token)).user).toMatchObject({ groups: ['ml'], admin: false });

    // Act: any event on the user's stream (here the directory's view of them changed)
    await identity.syncDirectoryUser({ ...user, groups: ['finance'], admin: true });

    // Assess
    expect((await identity.authenticate(token)).user).toMatchObject({ groups: ['finance'], admin: true });
  });

  describe('a token seen before, answered without resolving it again', () => {
    it('is refused on the very next request once revoked', async () => {
      const { identity } = cachedIdentity();
      const user = await newUser(identity);
      const issued = await identity.issueToken(admin, signedIn, user.username);
      await remembered(identity, issued.token);

      await identity.revokeToken(admin, issued.token_id);

      expect(await refusal(identity, issued.token)).toMatch(/not valid/);
    });

    it('is refused on the very next request once its user is locked', async () => {
      const { identity } = cachedIdentity();
      const user = await newUser(identity);
      const { token } = await identity.issueToken(admin, signedIn, user.username);
      await remembered(identity, token);

      await identity.updateUser(admin, user.username, (current) => ({ ...current, locked: true }));

      expect(await refusal(identity, token)).toMatch(/locked/);
    });

    it('has its use recorded again once due (TOKEN_USE_RESOLUTION_MS)', async () => {
      const { identity } = cachedIdentity();
      const user = await newUser(identity);
      const { token } = await identity.issueToken(admin, signedIn, user.username);
      await remembered(identity, token);
      const issuedAt = now;

      now = new Date(issuedAt.getTime() + TOKEN_USE_RESOLUTION_MS);

      try {
        const due = await identity.authenticate(token);
        expect(due.credential).toMatchObject({ lastUsedAt: issuedAt.toISOString() });
        await identity.recordTokenUse(due.credential);
        expect((await identity.authenticate(token)).credential).toMatchObject({ lastUsedAt: now.toISOString() });
      } finally {
        now = issuedAt;
      }
    });
  });

  it('starts a restart from what is stored: a new cache sees what the previous process recorded', async () => {
    // Prepare: the previous process warmed its cache, then revoked one token
    const before = cachedIdentity().identity;
    const user = await newUser(before);
    const kept = await before.issueToken(admin, signedIn, user.username);
    const revoked = await before.issueToken(admin, signedIn, user.username);
    await before.authenticate(kept.token);
    await before.authenticate(revoked.token);
    await before.revokeToken(admin, revoked.token_id);

    // Act
    const { identity: after } = cachedIdentity();

    // Assess
    expect((await after.authenticate(kept.token)).user.username).toBe(user.username);
    expect(await refusal(after, revoked.token)).toMatch(/not valid/);
  });
});
