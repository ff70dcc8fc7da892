/**
 * The stream-state cache (shared/app/stream-state-cache.ts) over an embedded DynamoDB: what it
 * holds costs no read, an append through its watch is seen by the very next load, a read under
 * way when an append happens is not kept, concurrent loads share one read, entries age out after `maxAgeMs` (how appends of
 * other processes are bounded), and it holds at most `maxEntries`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { StreamStateCache } from '../../shared/app/stream-state-cache.ts';
import { principalModel } from '../../shared/app/identity-service.ts';
import { runCommand } from '../../shared/app/command-runner.ts';
import type { EventStore, StreamHead } from '../../shared/ports/event-store.ts';
import type { User } from '../../shared/domain/identity/principal-decider.ts';

let dynamo: EmbeddedDynamo;
let raw: DynamoEventStore;
let counter = 0;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  raw = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
});

afterAll(async () => {
  await dynamo?.close();
});

const meta = { at: '2026-12-01T00:00:00.000Z', actor: 'admin' };

/** A user of a name no other test uses. */
async function newUser(store: EventStore, groups: string[] = ['ml']): Promise<User> {
  const user: User = { username: `user-${++counter}`, email: null, groups, admin: false };
  await runCommand(store, principalModel(user.username), { kind: 'CreateUser', user, ...meta });
  return user;
}

/** `store` with another `head` (how a load reads a stream). */
function withHead(store: EventStore, head: EventStore['head']): EventStore {
  return {
    head,
    append: (id, request) => store.append(id, request),
    read: (id, after, limit) => store.read(id, after, limit),
    batchesAfter: (id, after) => store.batchesAfter(id, after),
    allBatches: () => store.allBatches(),
  };
}

/** The store, counting `head` reads. */
function counted(store: EventStore): EventStore & { heads: number } {
  const wrapped: EventStore & { heads: number } = Object.assign(withHead(store, (id) => (wrapped.heads++, store.head(id))), { heads: 0 });
  return wrapped;
}

/** The store, with every read held until `release`: a read under way for as long as a test needs. */
function heldReads(): { store: EventStore; release: () => void } {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const store = withHead(raw, async (id: string): Promise<StreamHead> => {
    const head = await raw.head(id);
    await held;
    return head;
  });
  return { store, release };
}

async function groupsOf(cache: StreamStateCache, store: EventStore, username: string): Promise<string[] | undefined> {
  const state = await cache.load(store, principalModel(username));
  return state.kind === 'user' ? state.user.groups : undefined;
}

describe('StreamStateCache', () => {
  it('reads a stream once, then answers from memory', async () => {
    // Prepare
    const cache = new StreamStateCache();
    const store = counted(raw);
    const user = await newUser(raw);

    // Act
    const first = await groupsOf(cache, store, user.username);
    const second = await groupsOf(cache, store, user.username);

    // Assess
    expect([first, second]).toEqual([['ml'], ['ml']]);
    expect(store.heads).toBe(1);
  });

  it('sees an append made through its watch on the very next load', async () => {
    // Prepare
    const cache = new StreamStateCache();
    const store = counted(cache.watching(raw));
    const user = await newUser(store);
    expect(await groupsOf(cache, store, user.username)).toEqual(['ml']);

    // Act: the user is regrouped
    await runCommand(store, principalModel(user.username), { kind: 'SyncUser', user: { ...user, groups: ['finance'] }, ...meta });

    // Assess
    expect(await groupsOf(cache, store, user.username)).toEqual(['finance']);
  });

  it('does not keep what a read under way returned once an append to its stream started', async () => {
    // Prepare: a read that is held until the append is over
    const cache = new StreamStateCache();
    const watched = cache.watching(raw);
    const user = await newUser(watched);
    const { store: slow, release: releaseRead } = heldReads();
    const stale = groupsOf(cache, slow, user.username);

    // Act: the append happens while the old state is in flight
    await runCommand(watched, principalModel(user.username), { kind: 'SyncUser', user: { ...user, groups: ['finance'] }, ...meta });
    releaseRead();

    // Assess: the late read answered its caller, but the cache did not keep it
    expect(await stale).toEqual(['ml']);
    expect(await groupsOf(cache, raw, user.username)).toEqual(['finance']);
  });

  it('reads a stream once for loads that arrive while it is read, and afresh for those after an append', async () => {
    // Prepare: a read held open, so that the loads below arrive while it is under way
    const cache = new StreamStateCache();
    const watched = cache.watching(raw);
    const user = await newUser(watched);
    const held = heldReads();
    const slow = counted(held.store);
    const releaseRead = held.release;
    const fresh = counted(raw);

    // Act: ten concurrent loads, then an append, then one more load while the first read is still held
    const concurrent = Array.from({ length: 10 }, () => groupsOf(cache, slow, user.username));
    await runCommand(watched, principalModel(user.username), { kind: 'SyncUser', user: { ...user, groups: ['finance'] }, ...meta });
    const afterAppend = await groupsOf(cache, fresh, user.username);
    releaseRead();

    // Assess: one read served the ten; the load after the append did not join it
    expect(await Promise.all(concurrent)).toEqual(Array.from({ length: 10 }, () => ['ml']));
    expect(slow.heads).toBe(1);
    expect(afterAppend).toEqual(['finance']);
    expect(fresh.heads).toBe(1);
  });

  it('lets the next load read again when a read fails', async () => {
    // Prepare
    const cache = new StreamStateCache();
    const user = await newUser(raw);
    const failing = withHead(raw, async () => {
      throw new Error('store unavailable');
    });

    // Act
    const failed = groupsOf(cache, failing, user.username);

    // Assess
    await expect(failed).rejects.toThrow('store unavailable');
    expect(await groupsOf(cache, raw, user.username)).toEqual(['ml']);
  });

  it('trusts an entry for maxAgeMs only: an append by another process is seen once it aged out', async () => {
    // Prepare: "another process" appends to the store directly, not through this cache's watch
    let nowMs = 1_000_000;
    const cache = new StreamStateCache({ maxAgeMs: 5_000, nowMs: () => nowMs });
    const user = await newUser(raw);
    expect(await groupsOf(cache, raw, user.username)).toEqual(['ml']);
    await runCommand(raw, principalModel(user.username), { kind: 'SyncUser', user: { ...user, groups: ['finance'] }, ...meta });

    // Act & Assess: stale within the bound, fresh past it
    nowMs += 4_999;
    expect(await groupsOf(cache, raw, user.username)).toEqual(['ml']);
    nowMs += 1;
    expect(await groupsOf(cache, raw, user.username)).toEqual(['finance']);
  });

  it('holds at most maxEntries streams, dropping the least recently used', async () => {
    // Prepare
    const cache = new StreamStateCache({ maxEntries: 2 });
    const store = counted(raw);
    const [a, b, c] = [await newUser(raw), await newUser(raw), await newUser(raw)];
    await groupsOf(cache, store, a.username);
    await groupsOf(cache, store, b.username);
    await groupsOf(cache, store, a.username);

    // Act: a third stream pushes out b, the least recently used
    await groupsOf(cache, store, c.username);
    const before = store.heads;
    await groupsOf(cache, store, a.username);
    const aRead = store.heads - before;
    await groupsOf(cache, store, b.username);

    // Assess
    expect(cache.size).toBe(2);
    expect(aRead).toBe(0);
    expect(store.heads - before).toBe(1);
  });

  it('ignores an entry of another snapshot schema', async () => {
    // Prepare
    const cache = new StreamStateCache();
    const store = counted(raw);
    const user = await newUser(raw);
    await cache.load(store, principalModel(user.username));

    // Act
    await cache.load(store, { ...principalModel(user.username), snapshotSchema: 99 });

    // Assess
    expect(store.heads).toBe(2);
  });
});
