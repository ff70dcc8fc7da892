/**
 * Deployments and workspaces through the application layer over a real store (dynalite):
 * the API's commands, the reactor asking the serving runtime for plans, and the runtime's
 * reports recorded back. The runtime itself is the port's recording stand-in here; the local
 * supervisor and the ECS adapter are tested against it in their own suites.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoRecipeViews } from '../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { systemClock } from '../../shared/adapters/node-platform.ts';
import { ResourceService } from '../../shared/app/resource-service.ts';
import { ServiceReportRecorder } from '../../shared/app/service-report-recorder.ts';
import { ServiceReactor } from '../../shared/app/consumers/service-reactor.ts';
import type { CommittedBatch, EventStore } from '../../shared/ports/event-store.ts';
import type { ServicePlan, ServiceRuntime } from '../../shared/ports/service-runtime.ts';
import type { User } from '../../shared/domain/identity/principal-decider.ts';

let dynamo: EmbeddedDynamo;
let store: EventStore;
const committed: CommittedBatch[] = [];

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  const inner = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
  // The store as the stream processors see it: every committed batch, in order.
  store = Object.assign(Object.create(inner) as EventStore, {
    append: async (streamId: string, request: Parameters<EventStore['append']>[1]) => {
      const batch = await inner.append(streamId, request);
      committed.push(batch);
      return batch;
    },
  });
});

afterAll(async () => {
  await dynamo.close();
});

const ann: User = { username: 'ann', email: null, groups: [], admin: false };

class RecordingRuntime implements ServiceRuntime {
  readonly calls: Array<['apply', ServicePlan] | ['stop', string, string] | ['remove', string]> = [];
  async apply(plan: ServicePlan) {
    this.calls.push(['apply', plan]);
  }
  async stop(resourceId: string, reason: string) {
    this.calls.push(['stop', resourceId, reason]);
  }
  async remove(resourceId: string) {
    this.calls.push(['remove', resourceId]);
  }
}

function platform() {
  const resources = new ResourceService({
    store,
    views: new DynamoRecipeViews(dynamo.client, dynamo.tables.views),
    clock: systemClock,
    routeUrl: (s) => `http://${s}.localhost:8080/`,
    shellAccess: () => ({ available: false, reason: 'no shell here' }),
    principalExists: async () => true,
  });
  const runtime = new RecordingRuntime();
  const reactor = new ServiceReactor({ runtime, platformEnvironment: { SATURN_BASE_URL: 'http://127.0.0.1:8080' } });
  const reports = new ServiceReportRecorder({ store, clock: systemClock });
  /** Delivers what was committed since the last call, as the feed would. */
  const deliver = async () => {
    for (const batch of committed.splice(0)) await reactor.handle(batch);
  };
  return { resources, runtime, reactor, reports, deliver };
}

const at = () => new Date().toISOString();

describe('a deployment through its lifecycle', () => {
  it('starts at scale, runs once rolled out, rolls to a new spec, stops and is removed', async () => {
    const { resources, runtime, reports, deliver } = platform();
    const { recipe } = await resources.apply(ann, { type: 'deployment', spec: { name: 'api', command: 'python serve.py', scale: 2, healthcheck: '/health' } }, { createOnly: true });
    const id = recipe.state.id as string;
    await deliver();
    expect(runtime.calls).toEqual([]);

    // Start: the runtime is asked for revision 1 with two replicas behind the default route.
    await resources.act(ann, 'deployments', id, 'start');
    await deliver();
    const [kind, plan] = (runtime.calls.splice(0) as Array<['apply', ServicePlan]>)[0]!;
    expect(kind).toBe('apply');
    expect(plan).toMatchObject({
      resourceId: id,
      revision: 1,
      replicas: 2,
      healthCheckPath: '/health',
      routes: [{ subdomain: 'api-ann', containerPort: 8000, visibility: 'owner' }],
      homeVolume: null,
      task: { command: 'python serve.py', environment: { SATURN_BASE_URL: 'http://127.0.0.1:8080' } },
    });

    // The runtime's reports make it running and fill its pods.
    for (const pod of ['p1', 'p2']) {
      await reports.replicaStarted({ resourceId: id, pod, revision: 1, at: at() });
      await reports.replicaReady({ resourceId: id, pod, revision: 1, at: at() });
    }
    await reports.rolledOut({ resourceId: id, revision: 1, at: at() });
    expect((await resources.getById(ann, 'deployments', id)).state).toMatchObject({ status: 'running', url: 'http://api-ann.localhost:8080/' });
    expect((await resources.pods(ann, 'deployments', id)).map((p) => [p.name, p.status])).toEqual([
      ['p2', 'running'],
      ['p1', 'running'],
    ]);

    // A new spec while running is revision 2; the runtime rolls back, and the old one keeps serving.
    await resources.apply(ann, { type: 'deployment', spec: { name: 'api', command: 'python serve2.py', scale: 2, healthcheck: '/health' } }, { createOnly: false });
    await deliver();
    expect(runtime.calls.splice(0)).toEqual([['apply', expect.objectContaining({ revision: 2, task: expect.objectContaining({ command: 'python serve2.py' }) })]]);
    await reports.rolledBack({ resourceId: id, revision: 2, reason: 'no replica passed its health check on /health within 180 s', at: at() });
    expect((await resources.getById(ann, 'deployments', id)).state).toMatchObject({ status: 'running', reason: expect.stringContaining('revision 2 was rolled back') });

    // Stop: the runtime stops it; its report settles the status and ends the pods.
    await resources.act(ann, 'deployments', id, 'stop');
    await deliver();
    expect(runtime.calls.splice(0)).toEqual([['stop', id, 'stopped by ann']]);
    await reports.stopped({ resourceId: id, at: at() });
    expect((await resources.getById(ann, 'deployments', id)).state.status).toBe('stopped');
    expect((await resources.pods(ann, 'deployments', id)).every((p) => p.endedAt !== null)).toBe(true);

    // Delete: removed from the runtime; a late report about it is dropped, not an error.
    await resources.delete(ann, 'deployments', id);
    await deliver();
    expect(runtime.calls.splice(0)).toEqual([['remove', id]]);
    await expect(reports.replicaExited({ resourceId: id, pod: 'p1', revision: 1, exitCode: 0, reason: 'late', at: at() })).resolves.toBeUndefined();
  });

  it('a first start that never gets healthy ends in error with the reason', async () => {
    const { resources, reports, deliver } = platform();
    const { recipe } = await resources.apply(ann, { type: 'deployment', spec: { name: 'never', command: 'sleep 1000' } }, { createOnly: true });
    const id = recipe.state.id as string;
    await resources.act(ann, 'deployments', id, 'start');
    await deliver();
    await reports.failed({ resourceId: id, revision: 1, reason: 'no replica answered on / within 180 s; does the command listen on $PORT?', at: at() });
    expect((await resources.getById(ann, 'deployments', id)).state).toMatchObject({ status: 'error', reason: expect.stringContaining('listen on $PORT') });
  });
});

describe('a workspace', () => {
  it('runs its IDE with a home volume, and an idle report stops it with the reason', async () => {
    const { resources, runtime, reports, deliver } = platform();
    const { recipe } = await resources.apply(ann, { type: 'workspace', spec: { name: 'lab', auto_shutoff: '6 hours', start_ssh: true } }, { createOnly: true });
    expect(recipe.state.ssh).toEqual({ available: false, reason: 'no shell here' });
    const id = recipe.state.id as string;
    await resources.act(ann, 'workspaces', id, 'start');
    await deliver();
    const [, plan] = (runtime.calls.splice(0) as Array<['apply', ServicePlan]>)[0]!;
    expect(plan).toMatchObject({ replicas: 1, homeVolume: `home-${id}`, idleShutoffSeconds: 6 * 3600, healthCheckPath: '/api' });
    expect(plan.task.command).toContain('jupyter lab');
    await reports.rolledOut({ resourceId: id, revision: 1, at: at() });

    await reports.idle({ resourceId: id, idleSeconds: 6 * 3600, at: at() });
    await deliver();
    expect(runtime.calls.splice(0)).toEqual([['stop', id, 'auto_shutoff: no request or open connection for 6 h (auto_shutoff is 6 hours)']]);
    const events = await resources.events(ann, 'workspaces', id, 0, 100);
    expect(events.events.at(-1)).toMatchObject({ type: 'ResourceStopRequested', actor: 'system:auto-shutoff' });
  });
});
