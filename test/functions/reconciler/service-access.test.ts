/**
 * The reconciler's access re-check of serving resources (issue 19, item 1), over a real store
 * (dynalite): on AWS, ECS replaces a crashed replica without asking the platform, so the
 * reconciler decides every minute whether each active deployment's owner may still use what it
 * attaches. Alice narrows her secret from `org` to `owner`: Bob's deployment that attaches it is
 * recorded in error with a reason naming the secret, and the ServiceReactor then stops its
 * service (even with no replica recorded as live: ECS may be starting the replacement), while
 * Alice's own deployment attaching the same secret, and Bob's other one, are left alone.
 *
 * The AWS rule relied on ("Amazon ECS services", https://docs.aws.amazon.com/AmazonECS/latest/userguide/ecs_services.html):
 * if a task of a service stops, the service scheduler launches a new one from the task definition
 * until the service has its desired count. So a crashed replica is replaced with no replica
 * recorded live, and only scaling the service down stops the replacement: the reactor must stop
 * the service (EcsServiceRuntime.stop sets desiredCount 0, test/adapters/aws/ecs-service-runtime.test.ts)
 * even then, which the stop asserted below would not be without it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand, loadState } from '../../../shared/app/command-runner.ts';
import { catalogModel } from '../../../shared/app/catalog-model.ts';
import { resourceModel } from '../../../shared/app/resource-model.ts';
import { ServiceReportRecorder } from '../../../shared/app/service-report-recorder.ts';
import { ServiceReactor } from '../../../shared/app/consumers/service-reactor.ts';
import { recheckServiceAccess } from '../../../shared/app/service-access-recheck.ts';
import type { CatalogCommand } from '../../../shared/domain/catalog/catalog-decider.ts';
import { typedRecipe } from '../../domain/support/typed-recipe.ts';
import type { LiveResource, ResourceState } from '../../../shared/domain/resource/resource-decider.ts';
import { resourceStreamId } from '../../../shared/domain/resource/resource-identity.ts';
import type { RecipeViews } from '../../../shared/ports/recipe-views.ts';
import type { ServiceRuntime } from '../../../shared/ports/service-runtime.ts';
import { startJobRuns, type JobRunsFixture } from '../../adapters/aws/support/job-runs-on-dynalite.ts';

let f: JobRunsFixture;

beforeAll(async () => {
  f = await startJobRuns();
});

afterAll(async () => {
  await f.dynamo.close();
});

const meta = (actor: string) => ({ at: f.clock.now().toISOString(), actor });

async function putSecret(access: 'org' | 'owner'): Promise<void> {
  const object: Extract<CatalogCommand, { kind: 'PutCatalogObject' }>['object'] = { kind: 'secret', owner: 'alice', name: 's', attributes: { description: null, access } };
  await runCommand(f.store, catalogModel(object), { kind: 'PutCatalogObject', object, ...meta('alice') });
}

const streams: string[] = [];

/** The deployments as the read model lists them: one per page, as the pass must page through them. */
const views: Pick<RecipeViews, 'list'> = {
  list: async (query) => {
    if (query.type !== 'deployment') return { views: [], cursor: null };
    const index = query.cursor ? Number(query.cursor) : 0;
    const { state, head } = await loadState(f.store, resourceModel(streams[index]!));
    const resource = (state as ResourceState).live as LiveResource;
    return { views: [{ resource, version: head.version }], cursor: index + 1 < streams.length ? String(index + 1) : null };
  },
};

/** A running deployment of `owner` with one replica started, attaching alice's secret when asked. */
async function runningDeployment(owner: string, name: string, attachesSecret: boolean) {
  const model = resourceModel(resourceStreamId('deployment', owner, name));
  streams.push(model.streamId);
  const secrets = attachesSecret ? [{ name: 's', owner: 'alice', attachment_type: 'environment_variable', location: 'S' }] : [];
  const spec = typedRecipe({ type: 'deployment', spec: { name, command: 'serve', secrets } }, { caller: owner }).spec;
  const applied = await runCommand(f.store, model, { kind: 'ApplyRecipe', type: 'deployment', spec, createOnly: false, ...meta(owner) });
  const id = (applied.state as ResourceState).live!.id;
  await runCommand(f.store, model, { kind: 'StartResource', id, ...meta(owner) });
  const reports = new ServiceReportRecorder({ store: f.store, clock: f.clock });
  await reports.replicaStarted({ resourceId: id, pod: `${id}-r1-0`, revision: 1, at: meta('x').at });
  await runCommand(f.store, model, { kind: 'ReportRunning', id, ...meta('system:runtime') });
  return { model, id };
}

async function liveOf(streamId: string): Promise<LiveResource> {
  return ((await loadState(f.store, resourceModel(streamId))).state as ResourceState).live!;
}

describe('re-checking access of running services', () => {
  it("fails Bob's deployment, naming the secret, once Alice narrows it to its owner; the reactor stops it; the others keep running", async () => {
    // Prepare: alice's org secret, attached by bob's deployment and by alice's own; bob's other one attaches nothing
    await putSecret('org');
    const bobs = await runningDeployment('bob', 'uses-alice', true);
    const alices = await runningDeployment('alice', 'own', true);
    const unrelated = await runningDeployment('bob', 'plain', false);
    // Bob's replica crashed; ECS is starting its replacement, which nobody re-checks at launch
    await new ServiceReportRecorder({ store: f.store, clock: f.clock }).replicaExited({ resourceId: bobs.id, pod: `${bobs.id}-r1-0`, revision: 1, at: meta('x').at, exitCode: 1, reason: 'crashed' });
    const reports = new ServiceReportRecorder({ store: f.store, clock: f.clock });
    const pass = { views, store: f.store, reports, clock: f.clock, log: { error: (message: string) => expect.fail(message) } };
    expect(await recheckServiceAccess(pass)).toEqual({ checked: 3, refused: 0, failed: 0 });
    const versionBefore = (await f.store.head(bobs.model.streamId)).version;
    await putSecret('owner');

    // Act
    const summary = await recheckServiceAccess(pass);

    // Assess: bob's deployment is in error, the reason names the secret; the others are untouched
    expect(summary).toEqual({ checked: 3, refused: 1, failed: 0 });
    const bob = await liveOf(bobs.model.streamId);
    expect(bob.status).toBe('error');
    expect(bob.reason).toBe('bob may no longer use what the task attaches: spec.secrets[0].name: no secret named s owned by alice that bob may use');
    expect(await liveOf(alices.model.streamId)).toMatchObject({ status: 'running', reason: null });
    expect(await liveOf(unrelated.model.streamId)).toMatchObject({ status: 'running', reason: null });

    // Act: the reactor receives what the pass recorded
    const calls: Array<[string, string, string?]> = [];
    const runtime: ServiceRuntime = { apply: async (plan) => void calls.push(['apply', plan.resourceId]), stop: async (id, reason) => void calls.push(['stop', id, reason]), remove: async () => {} };
    const reactor = new ServiceReactor({ runtime, platformEnvironment: {}, catalog: { store: f.store, reports, clock: f.clock } });
    for (const batch of await f.store.batchesAfter(bobs.model.streamId, versionBefore)) await reactor.handle(batch);

    // Assess: the service is stopped with the reason, though no replica was recorded live; it stays in error
    expect(calls).toEqual([['stop', bobs.id, bob.reason]]);
    expect(await liveOf(bobs.model.streamId)).toMatchObject({ status: 'error', reason: bob.reason });

    // A second pass changes nothing: the failed deployment is no longer active
    const after = (await f.store.head(bobs.model.streamId)).version;
    expect(await recheckServiceAccess(pass)).toEqual({ checked: 2, refused: 0, failed: 0 });
    expect((await f.store.head(bobs.model.streamId)).version).toBe(after);
  });
});
