/**
 * Access to attachments decided at every plan, not only at apply (issue 19, item 1), over a
 * real store (dynalite): a scheduled tick and an API run of a job whose owner lost access to a
 * secret, or whose IAM role was registered again for someone else (on AWS the role's ARN would
 * become the task role), are recorded as failed with the reason and plan no task, as is a queued
 * retry whose owner lost access while it waited out its backoff; a restart of a
 * deployment whose owner lost access starts no replica, stops the ones serving, and records the
 * error with the reason.
 */
import { liveJob } from '../domain/support/live-resource.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../shared/app/command-runner.ts';
import { catalogModel } from '../../shared/app/catalog-model.ts';
import { resourceModel } from '../../shared/app/resource-model.ts';
import { ServiceReportRecorder } from '../../shared/app/service-report-recorder.ts';
import { ServiceReactor } from '../../shared/app/consumers/service-reactor.ts';
import { JobRunReactor } from '../../shared/app/consumers/job-run-reactor.ts';
import { runStreamId } from '../../shared/domain/run/run-decider.ts';
import type { CatalogCommand } from '../../shared/domain/catalog/catalog-decider.ts';
import type { CatalogKey } from '../../shared/domain/catalog/catalog-object.ts';
import { typedRecipe } from '../domain/support/typed-recipe.ts';
import type { ResourceState } from '../../shared/domain/resource/resource-decider.ts';
import { resourceStreamId } from '../../shared/domain/resource/resource-identity.ts';
import type { ResourceEvent } from '../../events/resource-events.ts';
import type { ServicePlan, ServiceRuntime } from '../../shared/ports/service-runtime.ts';
import { createJob, startJobRuns, type JobRunsFixture } from '../adapters/aws/support/job-runs-on-dynalite.ts';

const ROLE = 'arn:aws:iam::123456789012:role/cassini-workloads/reader';
let f: JobRunsFixture;
let apiRuns = 0;

beforeAll(async () => {
  f = await startJobRuns();
});

afterAll(async () => {
  await f.dynamo.close();
});

const meta = (actor: string) => ({ at: f.clock.now().toISOString(), actor });

async function putObject(object: Extract<CatalogCommand, { kind: 'PutCatalogObject' }>['object']): Promise<void> {
  await runCommand(f.store, catalogModel(object), { kind: 'PutCatalogObject', object, ...meta(object.owner) });
}

async function deleteObject(key: CatalogKey): Promise<void> {
  await runCommand(f.store, catalogModel(key), { kind: 'DeleteCatalogObject', objectKind: key.kind, owner: key.owner, name: key.name, ...meta('admin') });
}

/** Records a run of the job the way its trigger would (a tick or the API), then queues it as the reactor does. */
async function runOf(jobId: string, streamId: string, trigger: 'schedule' | 'api') {
  const before = (await f.store.head(streamId)).version;
  if (trigger === 'schedule') {
    await f.jobs.tick(jobId, f.clock.now().toISOString());
  } else {
    await runCommand(f.store, resourceModel(streamId), { kind: 'RequestJobRun', id: jobId, runId: String(++apiRuns).padStart(32, '0'), trigger: 'api', ...meta('ann') });
  }
  const batches = await f.store.batchesAfter(streamId, before);
  const requested = batches.flatMap((b) => b.events as unknown as ResourceEvent[]).find((e) => e.type === 'JobRunRequested');
  if (requested?.type !== 'JobRunRequested') throw new Error('no run was requested');
  const state = batches.at(-1)!.snapshot.state as ResourceState;
  return f.jobs.queueRequested(liveJob(state), requested);
}

describe('access to attachments over time', () => {
  it("fails a scheduled tick, naming the secret, once the secret's owner narrowed it from org to owner", async () => {
    // Prepare: carol's org secret attached by ann's scheduled job; a first tick plans it
    await putObject({ kind: 'secret', owner: 'carol', name: 'db', attributes: { description: null, access: 'org' } });
    const job = await createJob(f, 'nightly', { schedule: '@daily', secrets: [{ name: 'db', owner: 'carol', attachment_type: 'environment_variable', location: 'DB' }] });
    const allowed = await runOf(job.id, job.streamId, 'schedule');
    expect(allowed).toMatchObject({ status: 'queued', plan: { attachments: { secrets: [{ owner: 'carol', name: 'db' }] } } });
    f.clock.set('2026-01-02T00:00:00.000Z');
    await putObject({ kind: 'secret', owner: 'carol', name: 'db', attributes: { description: null, access: 'owner' } });

    // Act
    const refused = await runOf(job.id, job.streamId, 'schedule');

    // Assess: recorded, failed at once with the reason, no task
    expect(refused).toMatchObject({ trigger: 'schedule', status: 'failed', tasks: [], exitCode: null });
    expect(refused.reason).toContain('ann may no longer use what the task attaches: spec.secrets[0].name: no secret named db owned by carol that ann may use');
  });

  it('fails a run whose IAM role was deleted and registered again under its name for someone else, and plans no task role', async () => {
    // Prepare
    await putObject({ kind: 'iam_role', owner: 'admin', name: 'reader', attributes: { role_arn: ROLE, allowed: ['ann'] } });
    const job = await createJob(f, 'uses-role', { iam_role: 'reader' });
    expect((await runOf(job.id, job.streamId, 'api')).plan?.attachments?.taskRoleArn).toBe(ROLE);
    await deleteObject({ kind: 'iam_role', owner: '', name: 'reader' });
    await putObject({ kind: 'iam_role', owner: 'admin', name: 'reader', attributes: { role_arn: ROLE, allowed: ['carol'] } });

    // Act
    const refused = await runOf(job.id, job.streamId, 'api');

    // Assess: the ECS launcher reads the task role from the plan; a failed run is never launched
    expect(refused).toMatchObject({ status: 'failed', tasks: [] });
    expect(refused.plan?.attachments?.taskRoleArn).toBeUndefined();
    expect(refused.reason).toContain('spec.iam_role: no registered IAM role named reader that ann is allowed to use');
  });

  it('fails a retry that waited out its backoff, at launch, once the owner lost access meanwhile; nothing is launched', async () => {
    // Prepare: a run queued while carol's folder was shared with everyone, to launch later
    await putObject({ kind: 'shared_folder', owner: 'carol', name: 'scratch', attributes: { access: 'org', access_mode: 'ReadWriteMany' } });
    const job = await createJob(f, 'retried', { shared_folders: [{ name: 'scratch', owner: 'carol' }] });
    const queued = await runOf(job.id, job.streamId, 'api');
    expect(queued.status).toBe('queued');
    await putObject({ kind: 'shared_folder', owner: 'carol', name: 'scratch', attributes: { access: 'owner', access_mode: 'ReadWriteMany' } });
    const launched: string[] = [];
    const pending: Array<() => Promise<void>> = [];
    const reactor = new JobRunReactor({
      jobs: f.jobs,
      launcher: { launch: async (run) => void launched.push(run.id), stopTasks: async () => {} },
      scheduler: { put: async () => {}, remove: async () => {} },
      timers: { at: (_key, _when, action) => void pending.push(action), cancel: () => {} },
      clock: f.clock,
    });

    // Act: the queued batch arms the launch; the backoff is over
    for (const batch of await f.store.batchesAfter(runStreamId(queued.id), 0)) await reactor.handle(batch);
    for (const launch of pending.splice(0)) await launch();

    // Assess
    expect(launched).toEqual([]);
    const run = await f.jobs.load(queued.id);
    expect(run).toMatchObject({ status: 'failed', tasks: [] });
    expect(run!.reason).toContain('ann may no longer use what the task attaches: shared folder carol/scratch: no shared folder named scratch owned by carol that ann may use');
  });

  it('restarts no replica of a deployment whose owner lost access, stops those serving, and records the error with the reason', async () => {
    // Prepare: a running deployment of ann attaching carol's org folder
    await putObject({ kind: 'shared_folder', owner: 'carol', name: 'data', attributes: { access: 'org', access_mode: 'ReadWriteMany' } });
    const calls: Array<['apply', ServicePlan] | ['stop', string, string]> = [];
    const runtime: ServiceRuntime = { apply: async (plan) => void calls.push(['apply', plan]), stop: async (id, reason) => void calls.push(['stop', id, reason]), remove: async () => {} };
    const reports = new ServiceReportRecorder({ store: f.store, clock: f.clock });
    const reactor = new ServiceReactor({ runtime, platformEnvironment: {}, catalog: { store: f.store, reports, clock: f.clock } });
    const model = resourceModel(resourceStreamId('deployment', 'ann', 'web'));
    const spec = typedRecipe({ type: 'deployment', spec: { name: 'web', command: 'serve', shared_folders: [{ name: 'data', owner: 'carol' }] } }, { caller: 'ann' }).spec;
    const applied = await runCommand(f.store, model, { kind: 'ApplyRecipe', type: 'deployment', spec, createOnly: false, ...meta('ann') });
    const id = (applied.state as ResourceState).live!.id;
    const deliverFrom = async (version: number) => {
      for (const batch of await f.store.batchesAfter(model.streamId, version)) await reactor.handle(batch);
    };
    await runCommand(f.store, model, { kind: 'StartResource', id, ...meta('ann') });
    await deliverFrom(applied.version);
    expect(calls.map((c) => c[0])).toEqual(['apply']);
    await reports.replicaStarted({ resourceId: id, pod: `${id}-r1-0`, revision: 1, at: meta('x').at });
    await putObject({ kind: 'shared_folder', owner: 'carol', name: 'data', attributes: { access: 'owner', access_mode: 'ReadWriteMany' } });

    // Act
    const restarted = await runCommand(f.store, model, { kind: 'RestartResource', id, ...meta('ann') });
    await deliverFrom(restarted.version - 1);

    // Assess: no second apply; the serving replica is stopped with the reason; the resource is in error
    expect(calls.map((c) => c[0])).toEqual(['apply', 'stop']);
    expect(calls[1]![2]).toContain('spec.shared_folders[0].name: no shared folder named data owned by carol that ann may use');
    const state = (await f.store.head(model.streamId)).snapshot!.state as ResourceState;
    expect(state.live).toMatchObject({ status: 'error' });
    expect(state.live!.reason).toContain('ann may no longer use what the task attaches: spec.shared_folders[0].name');
  });
});
