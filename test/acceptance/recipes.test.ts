/**
 * Recipes and resources over HTTP against `npm start`: apply and its versions, YAML, listing
 * and paging, who sees what, the lifecycle, delete and the audit log, job schedules, and the
 * service routes a client reads before applying anything.
 */
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalServer, type ApiResponse, type Json } from './support/local-server.ts';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const RESOURCE_ID = /^[0-9a-f]{32}$/;

let server: LocalServer;
let alice: string;
let bob: string;
let carol: string;

beforeAll(async () => {
  server = await LocalServer.start();
  alice = await userToken('alice', ['data-team']);
  bob = await userToken('bob', []);
  carol = await userToken('carol', ['data-team']);
});

afterAll(async () => {
  await server?.dispose();
});

async function userToken(username: string, groups: string[]): Promise<string> {
  expect((await server.api('POST', '/api/users', { username, groups })).status).toBe(201);
  return (await server.api('POST', `/api/users/${username}/tokens`, {})).json.token;
}

function recipe(type: 'workspace' | 'deployment' | 'job', spec: Record<string, unknown>) {
  return { schema_version: '2025.10.01', type, spec };
}

function job(name: string, spec: Record<string, unknown> = {}) {
  return recipe('job', { name, command: 'python main.py', ...spec });
}

async function apply(body: unknown, token?: string): Promise<Json> {
  const response = await server.api('PUT', '/api/recipes', body, {}, token);
  expect(response.status, response.text).toBe(201);
  return response.json;
}

async function events(kind: string, id: string, token?: string): Promise<Json[]> {
  const response = await server.api('GET', `/api/${kind}/${id}/events`, undefined, {}, token);
  expect(response.status, response.text).toBe(200);
  return response.json.events;
}

async function listNames(query: string, token?: string): Promise<string[]> {
  const response = await server.api('GET', `/api/recipes?page_size=1000&${query}`, undefined, {}, token);
  expect(response.status, response.text).toBe(200);
  return response.json.recipes.map((r: Json) => `${r.spec.owner}/${r.type}/${r.spec.name}`).sort();
}

function expectError(response: ApiResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.json.code).toBe(code);
  expect(response.json.message).toMatch(/\S/);
}

describe('PUT /api/recipes', () => {
  it('creates a job with the defaults applied, stopped at version 1', async () => {
    // Act
    const response = await server.api('PUT', '/api/recipes', job('etl'));

    // Assess
    expect(response.status).toBe(201);
    expect(response.json.schema_version).toBe('2025.10.01');
    expect(response.json.type).toBe('job');
    expect(response.json.spec).toEqual({
      name: 'etl',
      command: 'python main.py',
      owner: 'admin',
      instance_type: 'medium',
      image: 'docker.io/library/python:3.12-slim',
      scale: 1,
      concurrency_policy: 'Allow',
      retries: 0,
      schedule_timezone: 'UTC',
    });
    const { state } = response.json;
    expect(state).toMatchObject({ status: 'stopped', version: 1, scheduled: false, last_run: null });
    expect(state.id).toMatch(RESOURCE_ID);
    expect(state.created_at).toMatch(ISO_TIME);
    expect(state.updated_at).toBe(state.created_at);
    expect(state.next_runs).toBeUndefined();
  });

  it('creates a workspace and a deployment with their defaults and addresses', async () => {
    // Act
    const workspace = await apply(recipe('workspace', { name: 'notebook' }));
    const deployment = await apply(recipe('deployment', { name: 'dash', command: 'python app.py' }));

    // Assess
    expect(workspace.spec).toEqual({
      name: 'notebook',
      owner: 'admin',
      instance_type: 'medium',
      ide: 'jupyter',
      image: 'quay.io/jupyter/scipy-notebook:latest',
      auto_shutoff: '1 hour',
      disk_space: '10Gi',
    });
    expect(workspace.state.url).toMatch(/^http:\/\/notebook-admin\.localhost:\d+\/$/);
    expect(deployment.spec).toMatchObject({ scale: 1, healthcheck: '/', subdomain: 'dash-admin', image: 'docker.io/library/python:3.12-slim' });
    expect(deployment.state.url).toBe(`http://dash-admin.localhost:${server.port}/`);
    expect(deployment.state.status).toBe('stopped');
  });

  it('treats null and empty optional fields as absent', async () => {
    // Act
    const created = await apply(job('absent-fields', { schedule: null, secrets: [], description: '', tags: {} }));

    // Assess
    expect(created.spec).not.toHaveProperty('schedule');
    expect(created.spec).not.toHaveProperty('secrets');
    expect(created.spec).not.toHaveProperty('description');
    expect(created.state.scheduled).toBe(false);
  });

  it('decides no new version when the same spec is applied again', async () => {
    // Prepare
    const first = await apply(job('same-again', { retries: 2 }));

    // Act
    const second = await apply(job('same-again', { retries: 2 }));

    // Assess
    expect(second.state.id).toBe(first.state.id);
    expect(second.state.version).toBe(1);
    expect(second.spec).toEqual(first.spec);
    expect(await events('jobs', first.state.id)).toHaveLength(1);
  });

  it('updates a changed spec to version 2 and keeps the id', async () => {
    // Prepare
    const first = await apply(job('changing', { retries: 1 }));

    // Act
    const second = await apply(job('changing', { retries: 3 }));

    // Assess
    expect(second.state.id).toBe(first.state.id);
    expect(second.state.version).toBe(2);
    expect(second.spec.retries).toBe(3);
    expect((await events('jobs', first.state.id)).map((e) => e.type)).toEqual(['ResourceCreated', 'ResourceSpecUpdated']);
  });

  it('refuses a mismatched If-Match with 409 and changes nothing', async () => {
    // Prepare
    const created = await apply(job('guarded', { retries: 1 }));
    await apply(job('guarded', { retries: 2 }));
    const before = await events('jobs', created.state.id);

    // Act
    const response = await server.api('PUT', '/api/recipes', job('guarded', { retries: 9 }), { 'if-match': '1' });

    // Assess
    expectError(response, 409, 'conflict');
    const current = await server.api('GET', '/api/recipes/job/guarded');
    expect(current.json.spec.retries).toBe(2);
    expect(current.json.state.version).toBe(2);
    expect(await events('jobs', created.state.id)).toEqual(before);
  });

  it('applies when If-Match names the current version', async () => {
    // Prepare
    await apply(job('guarded-ok', { retries: 1 }));

    // Act
    const response = await server.api('PUT', '/api/recipes', job('guarded-ok', { retries: 4 }), { 'if-match': '"1"' });

    // Assess
    expect(response.status).toBe(201);
    expect(response.json.state.version).toBe(2);
    expect(response.json.spec.retries).toBe(4);
  });

  it('resolves an owner written as <org>/<name>', async () => {
    // Act
    const created = await apply(job('org-owned', { owner: 'saturn/admin' }));

    // Assess
    expect(created.spec.owner).toBe('admin');
    const byOrgOwner = await server.api('GET', '/api/recipes/job/org-owned?owner_name=saturn/admin');
    expect(byOrgOwner.status).toBe(200);
    expect(byOrgOwner.json.state.id).toBe(created.state.id);
  });

  it('accepts an older schema version', async () => {
    // Act
    const response = await server.api('PUT', '/api/recipes', { ...job('older-schema'), schema_version: '2024.04.01' });

    // Assess
    expect(response.status).toBe(201);
    expect(response.json.spec.name).toBe('older-schema');
  });
});

describe('POST /api/recipes?enforce_unknown=true', () => {
  it('creates a resource whose name is free', async () => {
    // Act
    const response = await server.api('POST', '/api/recipes?enforce_unknown=true', job('create-only'));

    // Assess
    expect(response.status).toBe(201);
    expect(response.json.state.version).toBe(1);
  });

  it('answers 409 when the name is taken and leaves the resource as it was', async () => {
    // Prepare
    const existing = await apply(job('create-taken', { retries: 1 }));

    // Act
    const response = await server.api('POST', '/api/recipes?enforce_unknown=true', job('create-taken', { retries: 5 }));

    // Assess
    expectError(response, 409, 'conflict');
    const current = await server.api('GET', '/api/recipes/job/create-taken');
    expect(current.json.spec.retries).toBe(1);
    expect(await events('jobs', existing.state.id)).toHaveLength(1);
  });
});

describe('YAML recipes', () => {
  it('applies a YAML body', async () => {
    // Prepare
    const yaml = ['schema_version: 2025.10.01', 'type: job', 'spec:', '  name: from-yaml', '  command: echo hello', '  retries: 2', ''].join('\n');

    // Act
    const response = await server.api('PUT', '/api/recipes', yaml, { 'content-type': 'application/yaml' });

    // Assess
    expect(response.status, response.text).toBe(201);
    expect(response.json.spec).toMatchObject({ name: 'from-yaml', command: 'echo hello', retries: 2, owner: 'admin' });
  });

  it('returns YAML for Accept: application/yaml that applies back unchanged', async () => {
    // Prepare
    await apply(job('yaml-roundtrip', { environment_variables: { MODE: 'batch' }, schedule: '15 3 * * *', description: 'nightly: "export"' }));

    // Act
    const exported = await server.api('GET', '/api/recipes/job/yaml-roundtrip', undefined, { accept: 'application/yaml' });
    const reapplied = await server.api('PUT', '/api/recipes', exported.text, { 'content-type': 'application/yaml' });

    // Assess
    expect(exported.status).toBe(200);
    expect(exported.headers['content-type']).toMatch(/^application\/yaml/);
    const document = parseYaml(exported.text);
    expect(document.spec.name).toBe('yaml-roundtrip');
    expect(document.state.version).toBe(1);
    expect(reapplied.status, reapplied.text).toBe(201);
    expect(reapplied.json.state.version).toBe(1);
    expect(reapplied.json.spec).toEqual(document.spec);
  });
});

describe('GET /api/recipes', () => {
  beforeAll(async () => {
    for (const name of ['lst-a', 'lst-b', 'lst-c']) await apply(job(name));
    await apply(recipe('workspace', { name: 'lst-ws' }));
    await apply(recipe('deployment', { name: 'lst-dep', command: 'serve' }));
    await apply(job('other-name'));
    await apply(job('lst-alice'), alice);
  });

  it('filters by type, owner and name prefix', async () => {
    // Act
    const jobsOfAdmin = await listNames('type=job&owner_name=admin&name=lst-');
    const anyTypeOfAdmin = await listNames('owner_name=admin&name=lst-');
    const jobsOfEveryone = await listNames('type=job&name=lst-');

    // Assess
    expect(jobsOfAdmin).toEqual(['admin/job/lst-a', 'admin/job/lst-b', 'admin/job/lst-c']);
    expect(anyTypeOfAdmin).toEqual(['admin/deployment/lst-dep', 'admin/job/lst-a', 'admin/job/lst-b', 'admin/job/lst-c', 'admin/workspace/lst-ws']);
    expect(jobsOfEveryone).toEqual(['admin/job/lst-a', 'admin/job/lst-b', 'admin/job/lst-c', 'alice/job/lst-alice']);
  });

  it('returns whole recipes with their state', async () => {
    // Act
    const response = await server.api('GET', '/api/recipes?type=workspace&owner_name=admin&name=lst-ws');

    // Assess
    expect(response.json.recipes).toHaveLength(1);
    const [workspace] = response.json.recipes;
    expect(workspace).toMatchObject({ schema_version: '2025.10.01', type: 'workspace', spec: { name: 'lst-ws', ide: 'jupyter' }, state: { status: 'stopped', version: 1 } });
  });

  it('pages with next_key until it is null, each recipe once', async () => {
    // Prepare
    const everything = await listNames('owner_name=admin&name=lst-');
    const seen: string[] = [];
    let nextKey: string | null = null;
    let pages = 0;

    // Act
    do {
      const query: string = `owner_name=admin&name=lst-&page_size=2${nextKey ? `&next_key=${encodeURIComponent(nextKey)}` : ''}`;
      const response = await server.api('GET', `/api/recipes?${query}`);
      expect(response.status).toBe(200);
      expect(response.json.recipes.length).toBeLessThanOrEqual(2);
      expect(response.json.next_last_key).toBe(response.json.next_key);
      seen.push(...response.json.recipes.map((r: Json) => `${r.spec.owner}/${r.type}/${r.spec.name}`));
      nextKey = response.json.next_key;
      pages++;
    } while (nextKey !== null && pages < 20);

    // Assess
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(nextKey).toBeNull();
    expect([...seen].sort()).toEqual(everything);
  });

  it('pages with the older last_key alias too', async () => {
    // Prepare
    const seen: string[] = [];
    let lastKey: string | null = null;
    let pages = 0;

    // Act
    do {
      const query: string = `type=job&name=lst-&page_size=1${lastKey ? `&last_key=${encodeURIComponent(lastKey)}` : ''}`;
      const response = await server.api('GET', `/api/recipes?${query}`);
      seen.push(...response.json.recipes.map((r: Json) => r.spec.name));
      lastKey = response.json.next_last_key;
      pages++;
    } while (lastKey !== null && pages < 20);

    // Assess
    expect(seen.sort()).toEqual(['lst-a', 'lst-alice', 'lst-b', 'lst-c']);
  });

  it('answers 400 for page_size over 1000, naming query.page_size', async () => {
    // Act
    const response = await server.api('GET', '/api/recipes?page_size=1001');

    // Assess
    expectError(response, 400, 'validation_error');
    expect(response.json.details.map((d: Json) => d.path)).toContain('query.page_size');
  });

  it('answers 400 for a next_key the server did not issue', async () => {
    // Act
    const response = await server.api('GET', '/api/recipes?next_key=not-a-cursor');

    // Assess
    expectError(response, 400, 'validation_error');
    expect(response.json.details.map((d: Json) => d.path)).toContain('query.next_key');
  });
});

describe('who sees what', () => {
  let aliceJob: Json;
  let teamJob: Json;

  beforeAll(async () => {
    aliceJob = await apply(job('private-job'), alice);
    teamJob = await apply(job('team-job', { owner: 'data-team' }), alice);
  });

  it('lists only the caller’s own recipes and its groups’', async () => {
    // Act
    const aliceSees = await listNames('', alice);
    const carolSees = await listNames('', carol);
    const bobSees = await listNames('', bob);

    // Assess
    expect(aliceSees).toEqual(expect.arrayContaining(['alice/job/private-job', 'data-team/job/team-job']));
    expect(aliceSees.every((n) => n.startsWith('alice/') || n.startsWith('data-team/'))).toBe(true);
    expect(carolSees).toContain('data-team/job/team-job');
    expect(carolSees).not.toContain('alice/job/private-job');
    expect(bobSees.every((n) => n.startsWith('bob/'))).toBe(true);
    expect(await listNames('owner_name=alice', bob)).toEqual([]);
  });

  it('lets a group member read and act on a group-owned resource', async () => {
    // Act
    const read = await server.api('GET', '/api/recipes/job/team-job?owner_name=data-team', undefined, {}, carol);
    const started = await server.api('POST', `/api/jobs/${teamJob.state.id}/start`, undefined, {}, carol);

    // Assess
    expect(read.status).toBe(200);
    expect(started.status).toBe(200);
    // A job's start dispatches a run: the job runs while the run is active.
    expect(started.json.state.status).toBe('running');
    expect(started.headers.location).toMatch(/^\/api\/jobs\/[0-9a-f]{32}\/runs\/[0-9a-f]{32}$/);
  });

  it('answers 404, not 403, for another user’s resource by name and by id', async () => {
    // Prepare
    const id = aliceJob.state.id;

    // Act
    const responses = {
      byName: await server.api('GET', '/api/recipes/job/private-job?owner_name=alice', undefined, {}, bob),
      byGroupMember: await server.api('GET', '/api/recipes/job/private-job?owner_name=alice', undefined, {}, carol),
      byId: await server.api('GET', `/api/jobs/${id}`, undefined, {}, bob),
      events: await server.api('GET', `/api/jobs/${id}/events`, undefined, {}, bob),
      start: await server.api('POST', `/api/jobs/${id}/start`, undefined, {}, bob),
      schedule: await server.api('PATCH', `/api/jobs/${id}`, { cron_schedule_options: { schedule: '@daily' } }, {}, bob),
      remove: await server.api('DELETE', `/api/jobs/${id}`, undefined, {}, bob),
    };

    // Assess
    for (const response of Object.values(responses)) expectError(response, 404, 'not_found');
    const still = await server.api('GET', `/api/jobs/${id}`, undefined, {}, alice);
    expect(still.status).toBe(200);
    expect(still.json.state).toMatchObject({ status: 'stopped', version: 1 });
  });

  it('lets the admin see every owner’s resources', async () => {
    // Act
    const byId = await server.api('GET', `/api/jobs/${aliceJob.state.id}`);
    const listed = await listNames('owner_name=alice');

    // Assess
    expect(byId.status).toBe(200);
    expect(listed).toContain('alice/job/private-job');
  });
});

describe('start, stop and restart', () => {
  it('moves through the lifecycle, with no-ops deciding nothing', async () => {
    // Prepare: a command that does not exist, so the deployment never gets past pending.
    const { state } = await apply(recipe('deployment', { name: 'lifecycle', command: 'serve' }));
    const act = async (action: string) => {
      const response = await server.api('POST', `/api/deployments/${state.id}/${action}`);
      expect(response.status, response.text).toBe(200);
      return response.json.state.status;
    };

    // Act
    const steps = [await act('start'), await act('start'), await act('stop'), await act('stop'), await act('restart'), await act('restart')];

    // Assess: the runtime records its replicas meanwhile (started, exited); the requests
    // themselves decided one event each, and none for the repeated start and stop.
    expect(steps[0]).toBe('pending');
    expect(steps[1]).toBe('pending');
    expect(['stopping', 'stopped']).toContain(steps[2]);
    expect(['stopping', 'stopped']).toContain(steps[3]);
    expect(steps.slice(4)).toEqual(['pending', 'pending']);
    const requested = (await events('deployments', state.id)).map((e) => e.type).filter((type) => !/^(Replica|Service|ResourceBecame|ResourceFailed)/.test(type));
    expect(requested).toEqual(['ResourceCreated', 'ResourceStartRequested', 'ResourceStopRequested', 'ResourceStartRequested', 'ResourceRestartRequested']);
  });

  it('answers 404 for an id under another kind or an unknown kind', async () => {
    // Prepare
    const { state } = await apply(job('wrong-kind'));

    // Act
    const asWorkspace = await server.api('POST', `/api/workspaces/${state.id}/start`);
    const asWidget = await server.api('POST', `/api/widgets/${state.id}/start`);

    // Assess
    expectError(asWorkspace, 404, 'not_found');
    expectError(asWidget, 404, 'not_found');
  });
});

describe('DELETE /api/{kind}/{id}', () => {
  it('deletes the resource, frees its name and keeps its audit log', async () => {
    // Prepare
    const created = await apply(recipe('workspace', { name: 'doomed' }));
    const id = created.state.id;
    await server.api('POST', `/api/workspaces/${id}/start`);

    // Act
    const response = await server.api('DELETE', `/api/workspaces/${id}`);

    // Assess
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expectError(await server.api('GET', '/api/recipes/workspace/doomed'), 404, 'not_found');
    expectError(await server.api('GET', `/api/workspaces/${id}`), 404, 'not_found');
    expectError(await server.api('POST', `/api/workspaces/${id}/start`), 409, 'conflict');
    expect(await listNames('owner_name=admin&name=doomed')).toEqual([]);
    const all = await events('workspaces', id);
    // The runtime may report the started replica before the delete lands (actor system:runtime); the requests' events are these.
    const log = all.filter((e) => e.actor !== 'system:runtime');
    expect(log.map((e) => e.type)).toEqual(['ResourceCreated', 'ResourceStartRequested', 'ResourceDeleted']);
    expect(all.map((e) => e.version)).toEqual(all.map((_, i) => i + 1));
    expect(all.at(-1)!.type).toBe('ResourceDeleted');
    for (const event of log) {
      expect(event.actor).toBe('admin');
      expect(event.at).toMatch(ISO_TIME);
    }
    expect(log[0].data).toMatchObject({ id, type: 'workspace', owner: 'admin', name: 'doomed' });
  });

  it('answers 204 again to a repeated delete', async () => {
    // Prepare
    const { state } = await apply(job('deleted-twice'));
    await server.api('DELETE', `/api/jobs/${state.id}`);

    // Act
    const response = await server.api('DELETE', `/api/jobs/${state.id}`);

    // Assess
    expect(response.status).toBe(204);
    expect(await events('jobs', state.id)).toHaveLength(2);
  });

  it('gives a re-applied recipe a new id with its own history', async () => {
    // Prepare
    const first = await apply(job('reborn'));
    await server.api('DELETE', `/api/jobs/${first.state.id}`);

    // Act
    const second = await apply(job('reborn'));

    // Assess
    expect(second.state.id).toMatch(RESOURCE_ID);
    expect(second.state.id).not.toBe(first.state.id);
    expect(second.state.version).toBe(1);
    expect((await events('jobs', second.state.id)).map((e) => e.type)).toEqual(['ResourceCreated']);
    expect((await events('jobs', first.state.id)).map((e) => e.type)).toEqual(['ResourceCreated', 'ResourceDeleted']);
    expectError(await server.api('POST', `/api/jobs/${first.state.id}/start`), 409, 'conflict');
  });
});

describe('job schedules', () => {
  it('sets a schedule with PATCH and lists the next five fire times', async () => {
    // Prepare
    const { state } = await apply(job('scheduled'));
    const before = Date.now();

    // Act
    const response = await server.api('PATCH', `/api/jobs/${state.id}`, { cron_schedule_options: { schedule: '30 * * * *', concurrency_policy: 'Forbid' } });

    // Assess
    expect(response.status, response.text).toBe(200);
    expect(response.json.spec).toMatchObject({ schedule: '30 * * * *', concurrency_policy: 'Forbid' });
    expect(response.json.state.scheduled).toBe(true);
    const runs: string[] = response.json.state.next_runs;
    expect(runs).toHaveLength(5);
    for (const run of runs) {
      expect(run).toMatch(ISO_TIME);
      expect(new Date(run).getUTCMinutes()).toBe(30);
      expect(Date.parse(run)).toBeGreaterThan(before);
    }
    const times = runs.map((r) => Date.parse(r));
    expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual([3_600_000, 3_600_000, 3_600_000, 3_600_000]);
  });

  it('suspends with /unschedule and resumes with /schedule, keeping the schedule', async () => {
    // Prepare
    const { state } = await apply(job('suspendable', { schedule: '@daily' }));

    // Act
    const suspended = await server.api('POST', `/api/jobs/${state.id}/unschedule`);
    const resumed = await server.api('POST', `/api/jobs/${state.id}/schedule`);

    // Assess
    expect(suspended.status).toBe(200);
    expect(suspended.json.state.scheduled).toBe(false);
    expect(suspended.json.state.next_runs).toBeUndefined();
    expect(suspended.json.spec.schedule).toBe('@daily');
    expect(resumed.status).toBe(200);
    expect(resumed.json.state.scheduled).toBe(true);
    expect(resumed.json.state.next_runs).toHaveLength(5);
    expect(resumed.json.state.next_runs.every((r: string) => r.endsWith('T00:00:00.000Z'))).toBe(true);
  });

  it('removes the schedule with a null PATCH, after which /schedule is a conflict', async () => {
    // Prepare
    const { state } = await apply(job('unscheduled-later', { schedule: '@hourly' }));

    // Act
    const cleared = await server.api('PATCH', `/api/jobs/${state.id}`, { cron_schedule_options: { schedule: null } });
    const resume = await server.api('POST', `/api/jobs/${state.id}/schedule`);

    // Assess
    expect(cleared.status).toBe(200);
    expect(cleared.json.spec).not.toHaveProperty('schedule');
    expect(cleared.json.state.scheduled).toBe(false);
    expectError(resume, 409, 'conflict');
  });

  it('answers 404 to PATCH on a workspace id', async () => {
    // Prepare
    const { state } = await apply(recipe('workspace', { name: 'not-a-job' }));

    // Act
    const response = await server.api('PATCH', `/api/jobs/${state.id}`, { cron_schedule_options: { schedule: '@daily' } });

    // Assess
    expectError(response, 404, 'not_found');
  });
});

describe('history, runtime summary and logs', () => {
  it('answers with the Saturn Cloud shapes for a resource that never ran', async () => {
    // Prepare
    const { state } = await apply(recipe('deployment', { name: 'quiet', command: 'serve' }));

    // Act
    const history = await server.api('GET', `/api/deployments/${state.id}/history`);
    const summary = await server.api('GET', `/api/deployments/${state.id}/runtimesummary`);
    const logs = await server.api('GET', `/api/deployments/${state.id}/logs?pod_name=quiet-0`);

    // Assess
    expect(history.status).toBe(200);
    expect(history.json).toEqual({ pods: [] });
    expect(summary.status).toBe(200);
    expect(summary.json).toEqual({ pod_summaries: [] });
    expect(logs.status).toBe(200);
    // Saturn's shape, as SaturnConnection.get_logs reads it: `logs` is the text (here none).
    expect(logs.json).toEqual({ logs: '', next_key: null });
  });

  it('answers 404 for an id that names nothing', async () => {
    // Act
    const responses = await Promise.all(
      ['history', 'runtimesummary', 'logs', 'events'].map((route) => server.api('GET', `/api/jobs/${'0'.repeat(31)}1/${route}`)),
    );

    // Assess
    for (const response of responses) expectError(response, 404, 'not_found');
  });
});

describe('GET /api/info/servers', () => {
  it('describes every size with the fields Saturn clients read', async () => {
    // Act
    const response = await server.api('GET', '/api/info/servers');

    // Assess
    expect(response.status).toBe(200);
    const sizes = Object.entries(response.json.sizes as Record<string, Json>);
    expect(sizes.length).toBeGreaterThan(0);
    for (const [key, size] of sizes) {
      expect(size).toMatchObject({
        name: key,
        display: expect.any(String),
        display_name: expect.any(String),
        cores: expect.any(Number),
        memory: expect.stringMatching(/^\d+(\.\d+)?Gi$/),
        gpu: expect.any(Number),
        hardware_type: expect.any(String),
        cloud: expect.any(String),
      });
      expect(size).toHaveProperty('gpu_type');
    }
    expect(response.json.sizes.medium).toBeDefined();
    expect(response.json.auto_shutoff).toEqual(['1 hour', '6 hours', '24 hours', '3 days', '7 days', 'Never']);
    expect(response.json.disk_space).toContain('10Gi');
  });
});

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document listing the recipe routes', async () => {
    // Act
    const response = await server.api('GET', '/openapi.json', undefined, {}, null);

    // Assess
    expect(response.status).toBe(200);
    expect(response.json.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(response.json.paths['/api/recipes'])).toEqual(expect.arrayContaining(['get', 'put', 'post']));
    expect(response.json.paths['/api/recipes'].put.requestBody.content).toHaveProperty('application/yaml');
  });
});
