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
import { typedRecipe } from '../../domain/support/typed-recipe.ts';
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

/** A runtime that records the plans it is asked to ensure and the clusters it is asked to stop. */
function recordingRuntime(): DaskRuntime & { ensured: DaskClusterPlan[]; stopped: string[]; reasons: string[]; owners: Array<string | undefined> } {
  const ensured: DaskClusterPlan[] = [];
  const stopped: string[] = [];
  const reasons: string[] = [];
  const owners: Array<string | undefined> = [];
  return {
    ensured,
    stopped,
    reasons,
    owners,
    ensure: async (plan) => (ensured.push(plan), { schedulerAddress: null }),
    scale: async () => {},
    stop: async (resourceId, reason, owner) => void (stopped.push(resourceId), reasons.push(reason), owners.push(owner)),
    describe: async () => STOPPED_CLUSTER,
    schedulerAddress: async () => null,
  };
}

const ATTACHED = { dask_cluster: { num_workers: 1 }, iam_role: 'trainer', shared_folders: [{ name: 'reference' }] };

/** Applies and starts a deployment (by default with a cluster that attaches the role and the folder); the start's batch. */
async function startedDeployment(name: string, extra: Record<string, unknown> = ATTACHED) {
  const model = resourceModel(resourceStreamId('deployment', 'ann', name));
  const spec = typedRecipe({ type: 'deployment', spec: { name, command: 'python serve.py', ...extra } }, { caller: 'ann' }).spec;
  const meta = { at: f.clock.now().toISOString(), actor: 'ann' };
  const applied = await runCommand(f.store, model, { kind: 'ApplyRecipe', type: 'deployment', spec, createOnly: false, ...meta });
  await runCommand(f.store, model, { kind: 'StartResource', id: (applied.state as ResourceState).live!.id, ...meta });
  return (await f.store.batchesAfter(model.streamId, applied.version)).at(-1)!;
}

/** Re-applies a deployment's recipe with `extra` in place of what it had; the update's batch. */
async function reapplied(name: string, extra: Record<string, unknown>) {
  const model = resourceModel(resourceStreamId('deployment', 'ann', name));
  const spec = typedRecipe({ type: 'deployment', spec: { name, command: 'python serve.py', ...extra } }, { caller: 'ann' }).spec;
  const outcome = await runCommand(f.store, model, { kind: 'ApplyRecipe', type: 'deployment', spec, createOnly: false, at: f.clock.now().toISOString(), actor: 'ann' });
  return (await f.store.batchesAfter(model.streamId, outcome.version - 1)).at(-1)!;
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

  it('asks the runtime nothing for a resource that has no cluster and did not just lose one', async () => {
    // Prepare
    const runtime = recordingRuntime();
    const batch = await startedDeployment('api-without-dask', {});

    // Act
    await new DaskReactor({ runtime, catalog: f.store }).handle(batch);

    // Assess
    expect({ ensured: runtime.ensured, stopped: runtime.stopped }).toEqual({ ensured: [], stopped: [] });
  });

  it('starts no cluster, and stops the one there is, naming the role, once the owner may no longer use its IAM role (issue 19)', async () => {
    // Prepare: the role is registered again under its name, allowing someone else
    const runtime = recordingRuntime();
    const put = (allowed: string[]) =>
      runCommand(f.store, catalogModel({ kind: 'iam_role', owner: '', name: 'reassigned' }), {
        kind: 'PutCatalogObject',
        object: { kind: 'iam_role', owner: 'admin', name: 'reassigned', attributes: { role_arn: ROLE, allowed } },
        at: f.clock.now().toISOString(),
        actor: 'admin',
      });
    await put(['ann']);
    const batch = await startedDeployment('api-role-lost', { dask_cluster: { num_workers: 1 }, iam_role: 'reassigned' });
    await put(['carol']);

    // Act
    await new DaskReactor({ runtime, catalog: f.store }).handle(batch);

    // Assess
    expect(runtime.ensured).toEqual([]);
    expect(runtime.stopped).toEqual([(batch.snapshot.state as ResourceState).live!.id]);
    expect(runtime.reasons[0]).toContain('spec.iam_role: no registered IAM role named reassigned that ann is allowed to use');
  });

  it('stops the cluster of a resource whose new spec drops it', async () => {
    // Prepare
    const runtime = recordingRuntime();
    const started = await startedDeployment('api-dropping-dask');
    const update = await reapplied('api-dropping-dask', {});

    // Act
    await new DaskReactor({ runtime, catalog: f.store }).handle(update);

    // Assess: with the owner, in whose folder the cluster's TLS credentials are kept on AWS.
    expect(runtime.stopped).toEqual([(started.snapshot.state as ResourceState).live!.id]);
    expect(runtime.owners).toEqual(['ann']);
  });
});
