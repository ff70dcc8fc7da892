/** Keeps the runs read model up to date from run stream snapshots, like the recipe projector. */
import type { CommittedBatch } from '../../ports/event-store.ts';
import type { RunViews } from '../../ports/run-views.ts';
import type { RunState } from '../../domain/run/run-decider.ts';
import { RUN_SNAPSHOT_SCHEMA } from '../job-run-service.ts';

export class RunProjector {
  readonly name = 'run-projector';

  constructor(private readonly deps: { runViews: RunViews; load(runId: string): Promise<RunState> }) {}

  async handle(batch: CommittedBatch): Promise<void> {
    if (!batch.streamId.startsWith('run-')) return;
    const run =
      batch.snapshot.schema === RUN_SNAPSHOT_SCHEMA ? (batch.snapshot.state as RunState) : await this.deps.load(batch.streamId.slice('run-'.length));
    if (run) await this.deps.runViews.put(run, batch.lastVersion);
  }
}
