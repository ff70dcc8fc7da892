/** The consumer pipeline on a dynalite fixture, with the consumers a test does not exercise doing nothing. */
import { DynamoDeferrals } from '../../../../shared/adapters/dynamodb/dynamodb-deferrals.ts';
import { ConsumerPipeline, type PipelineConsumers } from '../../../../shared/app/consumers/consumer-pipeline.ts';
import type { BatchConsumer } from '../../../../shared/app/consumers/ordered-delivery.ts';
import type { JobRunsFixture } from '../../../adapters/aws/support/job-runs-on-dynalite.ts';
import type { Clock } from '../../../../shared/ports/platform-clock.ts';

const idle = (name: string): BatchConsumer => ({ name, handle: async () => {} });

export function pipelineWith(f: Pick<JobRunsFixture, 'store' | 'checkpoints' | 'dynamo'> & { clock: Clock }, consumers: Partial<PipelineConsumers>): ConsumerPipeline {
  return new ConsumerPipeline(
    { readModels: idle('read-models'), daskClusters: idle('dask-clusters'), jobRuns: idle('job-runs'), services: idle('services'), sharedFolders: idle('shared-folders'), ...consumers },
    { store: f.store, checkpoints: f.checkpoints, deferrals: new DynamoDeferrals(f.dynamo.client, f.dynamo.tables.views, f.clock) },
  );
}
