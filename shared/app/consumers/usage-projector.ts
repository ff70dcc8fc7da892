/**
 * Keeps the usage read model: folds each resource and run stream's new events into its usage
 * intervals (usage-intervals.ts). Unlike the snapshot projectors it needs every event once, so
 * when a batch does not follow the fold's version (a rebuild delivers only each stream's newest
 * batch; a view lost its item) it reads the missing events from the store first.
 */
import type { CommittedBatch, EventStore } from '../../ports/event-store.ts';
import type { UsageViews } from '../../ports/usage-views.ts';
import { carriesUsage, EMPTY_USAGE_STREAM, foldUsage, usageEventsOf } from '../../domain/usage/usage-intervals.ts';

const PAGE = 500;

export class UsageProjector {
  readonly name = 'usage-projector';

  constructor(private readonly deps: { usageViews: UsageViews; store: EventStore }) {}

  async handle(batch: CommittedBatch): Promise<void> {
    if (!carriesUsage(batch.streamId)) return;
    let usage = (await this.deps.usageViews.get(batch.streamId)) ?? EMPTY_USAGE_STREAM;
    if (usage.version >= batch.lastVersion) return;
    let after = usage.version;
    while (after < batch.firstVersion - 1) {
      const page = await this.deps.store.read(batch.streamId, after, PAGE);
      const missing = page.events.filter((e) => e.version < batch.firstVersion);
      usage = foldUsage(batch.streamId, usageEventsOf(missing), usage);
      if (page.nextAfterVersion === undefined || missing.length < page.events.length) break;
      after = page.nextAfterVersion;
    }
    usage = foldUsage(batch.streamId, usageEventsOf(batch.events), usage);
    await this.deps.usageViews.put(batch.streamId, usage);
  }
}
