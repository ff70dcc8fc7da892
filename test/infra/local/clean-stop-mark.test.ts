import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { takeCleanStopMark, writeCleanStopMark } from '../../../infra/local/clean-stop-mark.ts';
import { LocalEventFeed } from '../../../infra/local/event-feed.ts';
import type { EventStore } from '../../../shared/ports/event-store.ts';

const CONSUMERS = ['read-models', 'dask-clusters', 'job-runs', 'services', 'shared-folders'];
let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'cassini-clean-stop-'));
});

afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the clean-stop mark', () => {
  it('is taken once by a start with the same consumers', () => {
    writeCleanStopMark(dataDir, CONSUMERS, new Date('2026-12-06T05:00:00.000Z'));

    expect(takeCleanStopMark(dataDir, CONSUMERS)).toBe(true);
    // Taken away: a crash after this start leaves nothing to trust.
    expect(takeCleanStopMark(dataDir, CONSUMERS)).toBe(false);
  });

  it('does not count for a start whose consumers differ (an upgrade added one), and is removed all the same', () => {
    writeCleanStopMark(dataDir, CONSUMERS.slice(0, 4), new Date());

    expect(takeCleanStopMark(dataDir, CONSUMERS)).toBe(false);
    expect(existsSync(join(dataDir, 'clean-stop.json'))).toBe(false);
  });

  it('does not count when absent or unreadable', () => {
    expect(takeCleanStopMark(dataDir, CONSUMERS)).toBe(false);
    writeFileSync(join(dataDir, 'clean-stop.json'), '{ half a mark');
    expect(takeCleanStopMark(dataDir, CONSUMERS)).toBe(false);
  });
});

describe('LocalEventFeed.catchUp', () => {
  function feedOver(): { feed: LocalEventFeed; scans: () => number; retries: () => number } {
    let scans = 0;
    let retries = 0;
    const store = {
      // eslint-disable-next-line require-yield -- an empty history that counts its readers
      allBatches: async function* () {
        scans++;
      },
    } as unknown as EventStore;
    const pipeline = { views: [], reactions: [], deliver: async () => ({ deferred: [] }), retryDeferred: async () => (retries++, { retried: 0, stillDeferred: 0 }) };
    return { feed: new LocalEventFeed({ store, pipeline }), scans: () => scans, retries: () => retries };
  }

  it('reads the whole history by default (after a crash)', async () => {
    const { feed, scans, retries } = feedOver();

    await feed.catchUp();

    expect([scans(), retries()]).toEqual([1, 1]);
  });

  it('reads no history after a clean stop, and still retries what is deferred', async () => {
    const { feed, scans, retries } = feedOver();

    await feed.catchUp({ scanHistory: false });

    expect([scans(), retries()]).toEqual([0, 1]);
  });
});
