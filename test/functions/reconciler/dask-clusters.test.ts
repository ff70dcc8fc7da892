/**
 * The reconciler's Dask pass over the real ECS Dask runtime, against ECS and Cloud Map fakes
 * that keep state (aws-sdk-client-mock) and resources on dynalite: lost workers and a lost
 * scheduler replaced with the name moved, and a clean teardown of clusters whose resource
 * stopped or was deleted, even while the read model still shows them running; and the plan it
 * ensures carries the resource's attachments with the catalog's facts (role ARN, folder mode).
 */
import { ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { DeregisterInstanceCommand, RegisterInstanceCommand, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { reconcileDaskClusters, type DaskClustersDeps } from '../../../functions/reconciler/dask-clusters.ts';
import { EcsDaskRuntime } from '../../../shared/adapters/aws/dask/ecs-dask-runtime.ts';
import { runCommand } from '../../../shared/app/command-runner.ts';
import { resourceModel } from '../../../shared/app/resource-model.ts';
import { catalogModel } from '../../../shared/app/catalog-model.ts';
import type { CatalogCommand } from '../../../shared/domain/catalog/catalog-decider.ts';
import type { DaskClusterPlan } from '../../../shared/domain/planner/dask-plan.ts';
import { typedRecipe } from '../../domain/support/typed-recipe.ts';
import { resourceStreamId } from '../../../shared/domain/resource/resource-identity.ts';
import type { LiveResource, ResourceState } from '../../../shared/domain/resource/resource-decider.ts';
import type { ResourceCommand } from '../../../shared/domain/resource/resource-decider.ts';
import { CLUSTER, fakeDaskAws } from '../../adapters/aws/support/fake-dask-aws.ts';
import { startJobRuns, type JobRunsFixture } from '../../adapters/aws/support/job-runs-on-dynalite.ts';

const aws = fakeDaskAws();
const DEFINITION = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/cassini-medium:1';
let f: JobRunsFixture;

beforeAll(async () => {
  f = await startJobRuns();
});

afterAll(async () => {
  await f.dynamo.close();
});

beforeEach(() => aws.reset());

function runtime(): EcsDaskRuntime {
  return new EcsDaskRuntime({
    ecs: new ECSClient({}),
    discovery: new ServiceDiscoveryClient({}),
    cluster: CLUSTER,
    subnets: ['subnet-a'],
    securityGroups: ['sg-tasks'],
    clusterGroups: aws.clusterGroups,
    tlsSecrets: aws.tlsSecrets,
    namespaceId: 'ns-1',
    namespaceName: 'dask.cassini.internal',
    definitions: { ensure: async () => DEFINITION },
  });
}

/** A started deployment with a Dask cluster of `workers` workers; returns it as the read model lists it now. */
async function startedDeployment(name: string, workers = 2, attachments: Record<string, unknown> = {}): Promise<LiveResource> {
  const model = resourceModel(resourceStreamId('deployment', 'ann', name));
  const spec = typedRecipe({ type: 'deployment', spec: { name, command: 'python serve.py', dask_cluster: { num_workers: workers }, ...attachments } }, { caller: 'ann' }).spec;
  const meta = { at: f.clock.now().toISOString(), actor: 'ann' };
  const applied = await runCommand(f.store, model, { kind: 'ApplyRecipe', type: 'deployment', spec, createOnly: false, ...meta });
  const id = (applied.state as ResourceState).live!.id;
  const started = await runCommand(f.store, model, { kind: 'StartResource', id, ...meta });
  return (started.state as ResourceState).live!;
}

async function act(resource: LiveResource, kind: 'StopResource' | 'DeleteResource'): Promise<void> {
  const model = resourceModel(resourceStreamId('deployment', resource.owner, resource.name));
  await runCommand(f.store, model, { kind, id: resource.id, at: f.clock.now().toISOString(), actor: 'ann' } as ResourceCommand);
}

/** The read model as the reconciler lists it: these resources, as they were when listed. */
function deps(listed: LiveResource[], dask = runtime()): DaskClustersDeps {
  return {
    views: { list: async () => ({ views: listed.map((resource) => ({ resource, version: 1 })) as never, cursor: null }) },
    store: f.store,
    runtime: dask,
  };
}

const workersOf = (id: string) => aws.live().filter((t) => t.group === `dask-worker:${id}`);
const schedulersOf = (id: string) => aws.live().filter((t) => t.group === `dask-scheduler:${id}`);
const taskId = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

describe('reconcileDaskClusters', () => {
  it('starts the cluster of a started resource, then names its scheduler in Cloud Map', async () => {
    // Prepare
    const web = await startedDeployment('web-start');

    // Act
    const first = await reconcileDaskClusters(deps([web]));
    const second = await reconcileDaskClusters(deps([web]));

    // Assess
    expect(first).toEqual({ ensured: 1, stopped: 0, failed: 0 });
    expect(second).toEqual({ ensured: 1, stopped: 0, failed: 0 });
    expect(schedulersOf(web.id)).toHaveLength(1);
    expect(workersOf(web.id)).toHaveLength(2);
    const scheduler = taskId(schedulersOf(web.id)[0]!.taskArn!);
    expect(aws.discovery.commandCalls(RegisterInstanceCommand).map((c) => c.args[0].input)).toEqual([
      { ServiceId: expect.any(String), InstanceId: scheduler, CreatorRequestId: scheduler, Attributes: { AWS_INSTANCE_IPV4: '10.0.0.1' } },
    ]);
    expect([...aws.services.values()].map((s) => s.name)).toEqual([web.id]);
  });

  it('replaces lost workers and a lost scheduler, and moves the name to the new scheduler', async () => {
    // Prepare: a running, named cluster; then spot reclaims a worker and the scheduler crashes.
    const web = await startedDeployment('web-repair');
    await reconcileDaskClusters(deps([web]));
    await reconcileDaskClusters(deps([web]));
    const [oldScheduler] = schedulersOf(web.id).map((t) => taskId(t.taskArn!));
    aws.lose(oldScheduler!);
    aws.lose(taskId(workersOf(web.id)[0]!.taskArn!));
    aws.ecs.resetHistory();
    aws.discovery.resetHistory();

    // Act: two passes, a minute apart (the new scheduler gets its address in between).
    await reconcileDaskClusters(deps([web]));
    await reconcileDaskClusters(deps([web]));

    // Assess
    expect(aws.ecs.commandCalls(RunTaskCommand).map((c) => [c.args[0].input.group, c.args[0].input.count])).toEqual([
      [`dask-scheduler:${web.id}`, 1],
      [`dask-worker:${web.id}`, 1],
    ]);
    const newScheduler = taskId(schedulersOf(web.id)[0]!.taskArn!);
    expect(newScheduler).not.toBe(oldScheduler);
    expect(workersOf(web.id)).toHaveLength(2);
    expect(aws.discovery.commandCalls(DeregisterInstanceCommand).map((c) => c.args[0].input.InstanceId)).toEqual([oldScheduler]);
    expect([...aws.services.values()].map((s) => [...s.instances.keys()])).toEqual([[newScheduler]]);
  });

  it('tears down the clusters of a stopped and a deleted resource, leaving no task and nothing in Cloud Map', async () => {
    // Prepare: two running clusters; their resources stop and go while the read model still lists them running.
    const stopped = await startedDeployment('web-stopped');
    const deleted = await startedDeployment('web-deleted', 1);
    await reconcileDaskClusters(deps([stopped, deleted]));
    await reconcileDaskClusters(deps([stopped, deleted]));
    expect(aws.live()).toHaveLength(5);
    expect(aws.secrets.size, 'each cluster has its TLS credentials').toBe(2);
    await act(stopped, 'StopResource');
    await act(deleted, 'StopResource');
    await act(deleted, 'DeleteResource');

    // Act
    const summary = await reconcileDaskClusters(deps([stopped, deleted]));

    // Assess
    expect(summary).toEqual({ ensured: 0, stopped: 2, failed: 0 });
    expect(aws.live()).toEqual([]);
    expect(aws.services.size).toBe(0);
    // Found by their owner, kept in the stream after a delete.
    expect(aws.secrets.size).toBe(0);
    expect(await reconcileDaskClusters(deps([]))).toEqual({ ensured: 0, stopped: 0, failed: 0 });
  });

  it('finds a cluster no read model lists any more by its tasks, and stops it', async () => {
    // Prepare: a cluster whose Cloud Map service is already gone, its tasks left running.
    const web = await startedDeployment('web-orphan', 1);
    await reconcileDaskClusters(deps([web]));
    await act(web, 'StopResource');
    aws.services.clear();

    // Act
    const summary = await reconcileDaskClusters(deps([], runtime()));

    // Assess
    expect(summary).toEqual({ ensured: 0, stopped: 1, failed: 0 });
    expect(aws.live()).toEqual([]);
  });

  it("ensures each cluster with the resource's attachments and the catalog's facts about them", async () => {
    // Prepare: a registered role and a read-only folder, attached by a started deployment.
    const meta = { at: f.clock.now().toISOString(), actor: 'admin' };
    const role = 'arn:aws:iam::123456789012:role/cassini-workloads/trainer';
    const put = (object: Extract<CatalogCommand, { kind: 'PutCatalogObject' }>['object']) => runCommand(f.store, catalogModel(object), { kind: 'PutCatalogObject', object, ...meta });
    await put({ kind: 'iam_role', owner: 'admin', name: 'trainer', attributes: { role_arn: role, allowed: ['ann'] } });
    await put({ kind: 'shared_folder', owner: 'ann', name: 'reference', attributes: { access: 'owner', access_mode: 'ReadOnlyMany' } });
    const web = await startedDeployment('web-attached', 1, { iam_role: 'trainer', shared_folders: [{ name: 'reference' }] });
    const ensured: DaskClusterPlan[] = [];
    const recording: DaskClustersDeps['runtime'] = { ensure: async (plan) => (ensured.push(plan), { schedulerAddress: null }), stop: async () => {}, clusterIds: async () => new Set() };

    // Act
    await reconcileDaskClusters({ ...deps([web]), runtime: recording });

    // Assess
    expect(ensured.map((plan) => plan.attachments)).toEqual([
      { sharedFolders: [{ owner: 'ann', name: 'reference', path: '/home/jovyan/shared/ann/reference', readOnly: true }], taskRoleArn: role },
    ]);
  });

  it('recreates a Cloud Map service another function deleted since this runtime remembered it', async () => {
    // Prepare: the reconciler's runtime knows the service; the reactor stops and restarts the cluster meanwhile.
    const web = await startedDeployment('web-restart', 1);
    const dask = runtime();
    await reconcileDaskClusters(deps([web], dask));
    await runtime().stop(web.id, 'stopped');
    expect(aws.services.size).toBe(0);

    // Act
    const summary = await reconcileDaskClusters(deps([web], dask));

    // Assess
    expect(summary).toEqual({ ensured: 1, stopped: 0, failed: 0 });
    expect([...aws.services.values()].map((s) => s.name)).toEqual([web.id]);
    expect(schedulersOf(web.id)).toHaveLength(1);
  });
});
