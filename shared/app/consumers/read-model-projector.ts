/**
 * Every read model, fed from one feed: each projector takes the streams it knows and skips
 * the rest. The local runtime and the projector Lambda both use it.
 */
import type { CommittedBatch, EventStore } from '../../ports/event-store.ts';
import type { RecipeViews } from '../../ports/recipe-views.ts';
import type { RunViews } from '../../ports/run-views.ts';
import type { CatalogViews } from '../../ports/catalog-views.ts';
import { RecipeProjector } from './recipe-projector.ts';
import { RunProjector } from './run-projector.ts';
import { CatalogProjector } from './catalog-projector.ts';
import { TokenProjector } from './token-projector.ts';
import type { TokenViews } from '../../ports/token-views.ts';
import type { UsageViews } from '../../ports/usage-views.ts';
import { UsageProjector } from './usage-projector.ts';
import type { PrincipalViews } from '../../ports/principal-views.ts';
import { PrincipalProjector } from './principal-projector.ts';
import { loadState } from '../command-runner.ts';
import { runModel } from '../job-run-service.ts';

/** Every read model the projectors write, and the store they read when a snapshot is stale. */
export interface ReadModelPorts {
  store: EventStore;
  views: RecipeViews;
  runViews: RunViews;
  catalogViews: CatalogViews;
  tokenViews: TokenViews;
  /** Instance-hours per stream, for the usage routes and limits. */
  usageViews: UsageViews;
  principalViews: PrincipalViews;
}

export class ReadModelProjector {
  readonly name = 'read-model-projector';
  private readonly projectors: Array<{ handle(batch: CommittedBatch): Promise<void> }>;

  constructor(deps: ReadModelPorts) {
    this.projectors = [
      new RecipeProjector({ views: deps.views, store: deps.store }),
      new RunProjector({ runViews: deps.runViews, load: async (runId) => (await loadState(deps.store, runModel(runId))).state }),
      new CatalogProjector({ catalogViews: deps.catalogViews, store: deps.store }),
      new TokenProjector({ tokenViews: deps.tokenViews, store: deps.store }),
      new PrincipalProjector({ principalViews: deps.principalViews, store: deps.store }),
      new UsageProjector({ usageViews: deps.usageViews, store: deps.store }),
    ];
  }

  /**
   * The read models are independent of one another: a batch goes to all of them side by side,
   * so it is viewed after the slowest write, not after the sum of them. Every projector gets the
   * batch even when another fails; the first failure is then the consumer's.
   */
  async handle(batch: CommittedBatch): Promise<void> {
    const outcomes = await Promise.allSettled(this.projectors.map((projector) => projector.handle(batch)));
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
