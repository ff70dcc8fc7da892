import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOST_REASON, reconcile, WAITING_TO_START_AFTER_MS, type ReconcileDeps } from '../../../functions/reconciler/reconcile.ts';
import type { EcsTaskFacts } from '../../../shared/adapters/aws/tasks/ecs-task-state.ts';
import { serviceTasksProvisioningSince } from '../../../shared/adapters/aws/tasks/ecs-run-inspector.ts';
import type { Run } from '../../../shared/domain/run/run-decider.ts';
import type { RecipeViews } from '../../../shared/ports/recipe-views.ts';
import { runCommand } from '../../../shared/app/command-runner.ts';
import { catalogModel } from '../../../shared/app/catalog-model.ts';
import { queueRun, startJobRuns, startRun, type JobRunsFixture } from '../../adapters/aws/support/job-runs-on-dynalite.ts';

let f: JobRunsFixture;

beforeAll(async () => {
  f = await startJobRuns('2026-01-01T00:00:00.000Z');
});

afterAll(async () => {
  await f.dynamo.close();
});

const JOB_ID = '1'.repeat(32);

/** The recipe views as the projector leaves them: one job listing these runs as active, over two pages. */
function viewsListing(runIds: string[]): Pick<RecipeViews, 'list'> {
  const job = (ids: string[]) => ({ resource: { id: JOB_ID, type: 'job', runs: { active: ids.map((id) => ({ id, attempt: 1, trigger: 'api' as const })) } }, version: 1 }) as never;
  return {
    list: async (query) => (query.cursor ? { views: [job(runIds.slice(1))], cursor: null } : { views: [job(runIds.slice(0, 1))], cursor: 'next' }),
  };
}

function deps(runIds: string[], ecs: { live?: Map<string, EcsTaskFacts>; stopped?: Map<string, EcsTaskFacts>; serviceTasks?: EcsTaskFacts[] } = {}) {
  const launched: Run[] = [];
  const d: ReconcileDeps = {
    views: viewsListing(runIds),
    jobs: f.jobs,
    control: { launch: async (run) => void launched.push(run), stopTasks: async () => {} },
    ecs: {
      liveTasks: async () => ecs.live ?? new Map(),
      stoppedTasksOf: async () => ecs.stopped ?? new Map(),
      serviceTasksWaitingToStart: async (createdBefore) => serviceTasksProvisioningSince(ecs.serviceTasks ?? [], createdBefore),
    },
    clock: f.clock,
  };
  return { d, launched };
}

describe('reconcile', () => {
  it('times out a running run past its start plus its timeout', async () => {
    // Prepare
    f.clock.set('2026-01-01T00:00:00.000Z');
    const runId = 'a'.repeat(32);
    await startRun(f, await queueRun(f, runId, JOB_ID, { timeout_seconds: 60 }));
    f.clock.set('2026-01-01T00:01:30.000Z');

    // Act
    const summary = await reconcile(deps([runId]).d);

    // Assess
    expect(summary).toMatchObject({ activeRuns: 1, timedOut: 1, failed: 0 });
    expect(await f.jobs.load(runId)).toMatchObject({ status: 'timed_out', reason: 'timed out after 60 s' });
  });

  it('launches a queued run whose backoff has passed, and not one still waiting', async () => {
    f.clock.set('2026-01-01T01:00:00.000Z');
    const due = 'b'.repeat(32);
    const waiting = 'c'.repeat(32);
    await queueRun(f, due, JOB_ID, {}, '2026-01-01T01:00:30.000Z');
    await queueRun(f, waiting, JOB_ID, {}, '2026-01-01T01:05:00.000Z');
    f.clock.set('2026-01-01T01:01:00.000Z');
    const { d, launched } = deps([due, waiting]);
    await reconcile(d);
    expect(launched.map((r) => r.id)).toEqual([due]);
  });

  it('fails, instead of launching, a run whose backoff passed while its owner lost access to a secret of its plan (issue 19)', async () => {
    // Prepare: carol's secret, no longer shared, in the plan of ann's retry
    f.clock.set('2026-01-01T01:10:00.000Z');
    await runCommand(f.store, catalogModel({ kind: 'secret', owner: 'carol', name: 'key' }), {
      kind: 'PutCatalogObject',
      object: { kind: 'secret', owner: 'carol', name: 'key', attributes: { description: null, access: 'owner' } },
      at: f.clock.now().toISOString(),
      actor: 'carol',
    });
    const retry = '9'.repeat(32);
    await queueRun(f, retry, JOB_ID, { attachments: { secrets: [{ owner: 'carol', name: 'key', as: 'environment_variable', variable: 'KEY' }] } }, '2026-01-01T01:10:30.000Z');
    f.clock.set('2026-01-01T01:11:00.000Z');
    const { d, launched } = deps([retry]);

    // Act
    const summary = await reconcile(d);

    // Assess
    expect(launched).toEqual([]);
    expect(summary.launched).toBe(0);
    expect(await f.jobs.load(retry)).toMatchObject({ status: 'failed', reason: expect.stringContaining('ann may no longer use what the task attaches: secret carol/key') });
  });

  it('reports a task ECS has no record of as exited without an exit code, two minutes after launch', async () => {
    // Prepare
    f.clock.set('2026-01-01T02:00:00.000Z');
    const runId = 'd'.repeat(32);
    await startRun(f, await queueRun(f, runId, JOB_ID));
    f.clock.set('2026-01-01T02:01:00.000Z');
    await reconcile(deps([runId]).d);
    expect(await f.jobs.load(runId)).toMatchObject({ status: 'running' });
    f.clock.set('2026-01-01T02:02:30.000Z');

    // Act
    await reconcile(deps([runId]).d);

    // Assess
    expect(await f.jobs.load(runId)).toMatchObject({ status: 'failed', exitCode: null, reason: `task 0: ${LOST_REASON}` });
  });

  it('counts tasks launched 15 minutes ago that ECS still holds in PROVISIONING, for the alarm', async () => {
    // Prepare: launched, never started; ECS keeps it waiting for capacity.
    f.clock.set('2026-01-01T05:00:00.000Z');
    const runId = '7'.repeat(32);
    await queueRun(f, runId, JOB_ID);
    await f.jobs.report(runId, { kind: 'RecordTasksLaunched', tasks: [{ rank: 0, taskId: `${runId}-0` }], at: f.clock.now().toISOString(), actor: 'system:runner' });
    const provisioning: EcsTaskFacts = { group: `run:${runId}`, lastStatus: 'PROVISIONING', overrides: { containerOverrides: [{ name: 'main', environment: [{ name: 'SATURN_JOB_RANK', value: '0' }] }] }, containers: [] };
    const ecs = { live: new Map([[`${runId}-0`, provisioning]]) };

    // Act
    f.clock.set('2026-01-01T05:14:00.000Z');
    const early = await reconcile(deps([runId], ecs).d);
    f.clock.set(new Date(Date.parse('2026-01-01T05:00:00.000Z') + WAITING_TO_START_AFTER_MS).toISOString());
    const late = await reconcile(deps([runId], ecs).d);

    // Assess
    expect([early.waitingToStart, late.waitingToStart]).toEqual([0, 1]);
    expect(await f.jobs.load(runId)).toMatchObject({ tasks: [expect.objectContaining({ status: 'launched' })] });
  });

  // "Amazon ECS task lifecycle": a task stays in PROVISIONING while its capacity provider
  // scales out, with no deadline, and a service keeps its replica there as long as no instance
  // comes; only a count from outside makes the wait visible.
  it('counts deployments’ and workspaces’ replicas still PROVISIONING 15 minutes after ECS created them, for the same alarm', async () => {
    // Prepare: no active run; two service replicas waiting for capacity, one running, one run task.
    f.clock.set('2026-01-01T06:00:00.000Z');
    const created = new Date(Date.parse('2026-01-01T06:00:00.000Z') - WAITING_TO_START_AFTER_MS);
    const justCreated = new Date(created.getTime() + 1000);
    const service = (lastStatus: string, createdAt: Date): EcsTaskFacts => ({ group: `service:cassini-${'e'.repeat(32)}`, lastStatus, createdAt });
    const serviceTasks = [
      service('PROVISIONING', created),
      service('PROVISIONING', justCreated),
      service('RUNNING', created),
      { group: `run:${'8'.repeat(32)}`, lastStatus: 'PROVISIONING', createdAt: created },
    ];

    // Act
    const summary = await reconcile(deps([], { serviceTasks }).d);

    // Assess
    expect(summary).toMatchObject({ activeRuns: 0, waitingToStart: 0, serviceTasksWaitingToStart: 1, failed: 0 });
  });

  it('counts a failure to list service tasks as a failed repair, after the runs are done', async () => {
    f.clock.set('2026-01-01T06:10:00.000Z');
    const { d } = deps([]);
    const errors: unknown[] = [];
    const failing: ReconcileDeps = { ...d, ecs: { ...d.ecs, serviceTasksWaitingToStart: async () => Promise.reject(new Error('ThrottlingException')) }, log: { error: (...args: unknown[]) => void errors.push(args) } };

    const summary = await reconcile(failing);

    expect(summary).toMatchObject({ serviceTasksWaitingToStart: 0, failed: 1 });
    expect(errors).toHaveLength(1);
  });

  it('reports what ECS saw for a task whose stop event was lost', async () => {
    f.clock.set('2026-01-01T03:00:00.000Z');
    const runId = 'e'.repeat(32);
    await startRun(f, await queueRun(f, runId, JOB_ID));
    f.clock.set('2026-01-01T03:10:00.000Z');
    const stoppedTask: EcsTaskFacts = {
      group: `run:${runId}`, lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited',
      overrides: { containerOverrides: [{ name: 'main', environment: [{ name: 'SATURN_JOB_RANK', value: '0' }] }] },
      containers: [{ name: 'main', exitCode: 0 }],
    };
    await reconcile(deps([runId], { stopped: new Map([[`${runId}-0`, stoppedTask]]) }).d);
    expect(await f.jobs.load(runId)).toMatchObject({ status: 'succeeded' });
  });

  it('revokes the SATURN_TOKEN of a task it reports exited: by the id ECS kept, or by the token file of a vanished task', async () => {
    // Prepare
    f.clock.set('2026-01-01T04:00:00.000Z');
    const stoppedRun = 'f'.repeat(32);
    const lostRun = '1'.repeat(32);
    await startRun(f, await queueRun(f, stoppedRun, JOB_ID));
    await startRun(f, await queueRun(f, lostRun, JOB_ID));
    f.clock.set('2026-01-01T04:10:00.000Z');
    const stoppedTask: EcsTaskFacts = {
      group: `run:${stoppedRun}`, lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited',
      overrides: { containerOverrides: [{ name: 'main', environment: [{ name: 'SATURN_JOB_RANK', value: '0' }, { name: 'CASSINI_TOKEN_ID', value: 'tok9' }] }] },
      containers: [{ name: 'main', exitCode: 0 }],
    };
    const removed: Array<[string, string | undefined]> = [];
    const { d } = deps([stoppedRun, lostRun], { stopped: new Map([[`${stoppedRun}-0`, stoppedTask]]) });

    // Act
    await reconcile({ ...d, tokenFiles: { remove: async (taskId, tokenId) => void removed.push([taskId, tokenId]) } });

    // Assess
    expect(removed).toEqual([
      [`${stoppedRun}-0`, 'tok9'],
      [`${lostRun}-0`, undefined],
    ]);
  });
});
