/**
 * The Dask reactor's plans, over resources and catalog objects on dynalite: a started resource's
 * cluster is ensured with the resource's attachments and what the catalog says about them (the
 * registered role's ARN, a folder's read-only mode), as the resource's own tasks get them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaskReactor } from '../../../shared/app/consumers/dask-reactor.ts';
import { runCommand } from '../../../shared/app/command-runner.ts';
import { catalogModel } from '../../../shared/app/catalog-model.ts';
import { resourceModel } from '../../../shared/app/resource-model.ts';
import type { CatalogCommand } from '../../../shared/domain/catalog/catalog-decider.ts';
import type { DaskClusterPlan } from '../../../shared/domain/planner/dask-plan.ts';
import { parseRecipe } from '../../../shared/domain/recipe/recipe.ts';
import type { ResourceState } from '../../../shared/domain/resource/resource-decider.ts';
import { resourceStreamId } from '../../../shared/domain/resource/resource-identity.ts';
import type { DaskRuntime } from '../../../shared/ports/dask-runtime.ts';
import { STOPPED_CLUSTER } from '../../../shared/ports/dask-runtime.ts';
import { startJobRuns, type JobRunsFixture } from '../../adapters/aws/support/job-runs-on-dynalite.ts';

const ROLE = 'arn:aws:iam::123456789012:role/cassini-workloads/trainer';
let f: JobRunsFixture;

beforeAll(async () => {
  f = await startJobRuns();
  const put = (object: Extract<CatalogCommand, { kind: 'PutCatalogObject' }>['object']) =>
    runCommand(f.store, catalogModel(object), { kind: 'PutCatalogObject', object, at: f.clock.now().toISOString(), actor: 'admin' });
  await put({ kind: 'iam_role', owner: 'admin', name: 'trainer', attributes: { role_arn: ROLE, allowed: ['ann'] } });
  await put({ kind: 'shared_folder', owner: 'ann', name: 'reference', attributes: { access: 'owner', access_mode: 'ReadOnlyMany' } });
});

afterAll(async () => {
  await f.dynamo.close();
});

/** A runtime that records the plans it is asked to ensure. */
function recordingRuntime(): DaskRuntime & { ensured: DaskClusterPlan[] } {
  const ensured: DaskClusterPlan[] = [];
  return {
    ensured,
    ensure: async (plan) => (ensured.push(plan), { schedulerAddress: null }),
    scale: async () => {},
    stop: async () => {},
    describe: async () => STOPPED_CLUSTER,
    schedulerAddress: async () => null,
  };
}

/** Applies and starts a deployment with a cluster that attaches the role and the folder; the start's batch. */
async function startedDeployment(name: string) {
  const model = resourceModel(resourceStreamId('deployment', 'ann', name));
  const attached = { dask_cluster: { num_workers: 1 }, iam_role: 'trainer', shared_folders: [{ name: 'reference' }] };
  const spec = parseRecipe({ type: 'deployment', spec: { name, command: 'python serve.py', ...attached } }, { caller: 'ann' }).spec;
  const meta = { at: f.clock.now().toISOString(), actor: 'ann' };
  const applied = await runCommand(f.store, model, { kind: 'ApplyRecipe', type: 'deployment', spec, createOnly: false, ...meta });
  await runCommand(f.store, model, { kind: 'StartResource', id: (applied.state as ResourceState).live!.id, ...meta });
  return (await f.store.batchesAfter(model.streamId, applied.version)).at(-1)!;
}

describe('DaskReactor', () => {
  it("ensures a started resource's cluster with its attachments and the catalog's facts about them", async () => {
    // Prepare
    const runtime = recordingRuntime();
    const batch = await startedDeployment('api-attached');

    // Act
    await new DaskReactor({ runtime, catalog: f.store }).handle(batch);

    // Assess
    expect(runtime.ensured.map((plan) => plan.attachments)).toEqual([
      { sharedFolders: [{ owner: 'ann', name: 'reference', path: '/home/jovyan/shared/ann/reference', readOnly: true }], taskRoleArn: ROLE },
    ]);
  });

  it('attaches no role and mounts folders read-write without a catalog to read', async () => {
    // Prepare
    const runtime = recordingRuntime();
    const batch = await startedDeployment('api-uncatalogued');

    // Act
    await new DaskReactor({ runtime }).handle(batch);

    // Assess
    expect(runtime.ensured.map((plan) => plan.attachments)).toEqual([{ sharedFolders: [{ owner: 'ann', name: 'reference', path: '/home/jovyan/shared/ann/reference', readOnly: false }] }]);
  });
});
