import { describe, expect, it } from 'vitest';
import { deliverInOrder, type BatchConsumer } from '../../../shared/app/consumers/ordered-delivery.ts';
import type { Checkpoints } from '../../../shared/ports/checkpoints.ts';
import type { CommittedBatch, EventStore } from '../../../shared/ports/event-store.ts';
import { ServiceReactor } from '../../../shared/app/consumers/service-reactor.ts';
import { DaskReactor } from '../../../shared/app/consumers/dask-reactor.ts';
import { SharedFolderReactor } from '../../../shared/app/consumers/shared-folder-reactor.ts';
import { JobRunReactor } from '../../../shared/app/consumers/job-run-reactor.ts';

function batch(streamId: string, version: number): CommittedBatch {
  return { streamId, firstVersion: version, lastVersion: version, events: [], snapshot: { schema: 1, state: null } } as unknown as CommittedBatch;
}

function checkpointsInMemory() {
  const stored = new Map<string, number>();
  const checkpoints: Checkpoints = {
    get: async (consumer, streamId) => stored.get(`${consumer} ${streamId}`) ?? 0,
    advance: async (consumer, streamId, version) => void stored.set(`${consumer} ${streamId}`, version),
  };
  return { checkpoints, stored };
}

describe('a consumer that acts on some streams only', () => {
  it('is given no batch of another stream and keeps no checkpoint for it; a stream it acts on is delivered as before', async () => {
    // Prepare
    const took: string[] = [];
    const consumer: BatchConsumer = { name: 'resources-only', reactsTo: (streamId) => streamId.startsWith('resource-'), handle: async (b) => void took.push(b.streamId) };
    const { checkpoints, stored } = checkpointsInMemory();
    const deps = { store: {} as EventStore, checkpoints };

    // Act
    await deliverInOrder(consumer, batch('run-1', 1), deps);
    await deliverInOrder(consumer, batch('resource-job-1', 1), deps);

    // Assess
    expect(took).toEqual(['resource-job-1']);
    expect([...stored.keys()]).toEqual(['resources-only resource-job-1']);
  });

  it("says which streams each reactor acts on: a run's batches reach only the job-run reactor among them", () => {
    // Prepare
    const reactors = [
      new ServiceReactor({ runtime: {} as never, platformEnvironment: {} }),
      new DaskReactor({ runtime: {} as never }),
      new SharedFolderReactor({ remove: async () => {} }),
      new JobRunReactor({} as never),
    ];

    // Act
    const acting = (streamId: string) => reactors.filter((r) => r.reactsTo(streamId)).map((r) => r.name);

    // Assess
    expect(acting('run-0123')).toEqual(['job-run-reactor']);
    expect(acting('resource-job-ann-etl')).toEqual(['service-reactor', 'dask-reactor', 'job-run-reactor']);
    expect(acting('catalog-shared_folder-ann/data')).toEqual(['shared-folder-reactor']);
    expect(acting('token-abc')).toEqual([]);
  });
});
