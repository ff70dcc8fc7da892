/**
 * Local mode keeps everything it acknowledged across a restart, clean (SIGTERM) or killed
 * (SIGKILL of the whole process group right after the last acknowledged write), on the same
 * data directory: by name, in the listing once the projector has caught up, and the tokens.
 * After the crash, what was committed and not delivered is delivered from the journal
 * (infra/local/delivery-journal.ts), without reading the whole history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalServer, type ApiResponse, type Json } from './support/local-server.ts';
import { waitUntil } from '../support/wait-until.ts';

const CATCH_UP_TIMEOUT_MS = 15_000;
/** Each test restarts `npm start` once or twice, a few seconds each. */
const RESTART_TEST_TIMEOUT_MS = 90_000;
/** A run appends about eight batches (its own, its job's, its task token's): 150 of them fill more than one journal segment. */
const RUNS_PAST_A_SEGMENT = 150;
const RUNS_TIMEOUT_MS = 60_000;

let server: LocalServer;

beforeAll(async () => {
  server = await LocalServer.start();
});

afterAll(async () => {
  await server?.dispose();
});

interface Acknowledged {
  type: string;
  name: string;
  id: string;
  version: number;
  status: string;
  spec: Json;
}

function recipeFor(index: number, prefix: string) {
  const name = `${prefix}-${String(index).padStart(2, '0')}`;
  if (index % 3 === 1) return { type: 'workspace', spec: { name, description: `workspace ${index}` } };
  if (index % 3 === 2) return { type: 'deployment', spec: { name, command: `serve --port ${index}` } };
  return { type: 'job', spec: { name, command: `run ${index}`, environment_variables: { INDEX: String(index) } } };
}

function acknowledged(response: ApiResponse): Acknowledged {
  const { type, spec, state } = response.json;
  return { type, name: spec.name, id: state.id, version: state.version, status: state.status, spec };
}

async function applyAcknowledged(body: unknown): Promise<Acknowledged> {
  const response = await server.api('PUT', '/api/recipes', body);
  expect(response.status, response.text).toBe(201);
  return acknowledged(response);
}

/**
 * The recipe as acknowledged. A started deployment or workspace runs on after its start was
 * acknowledged (its replicas start, fail and are restarted, recorded as events), so for those
 * the version may only have grown and the status may have moved on.
 */
async function expectStored(expected: Acknowledged, options: { running?: boolean } = {}): Promise<void> {
  const response = await server.api('GET', `/api/recipes/${expected.type}/${expected.name}`);
  expect(response.status, `${expected.name}: ${response.text}`).toBe(200);
  const stored = acknowledged(response);
  if (!options.running) return void expect(stored).toEqual(expected);
  expect({ ...stored, version: expected.version, status: expected.status }).toEqual(expected);
  expect(stored.version).toBeGreaterThanOrEqual(expected.version);
}

async function listedNames(prefix: string): Promise<string[]> {
  const response = await server.api('GET', `/api/recipes?owner_name=admin&name=${prefix}-&page_size=1000`);
  expect(response.status).toBe(200);
  return response.json.recipes.map((r: Json) => r.spec.name).sort();
}

/** Waits until the listing holds every expected name: the projector catches up on start. */
async function expectListedEventually(prefix: string, names: string[]): Promise<void> {
  const wanted = [...names].sort();
  await waitUntil(`the listing to hold every ${prefix}- recipe`, () => listedNames(prefix), (listed) => wanted.every((n) => listed.includes(n)), CATCH_UP_TIMEOUT_MS);
}

describe('a clean restart (SIGTERM)', () => {
  it('keeps every recipe, its version and its state', async () => {
    // Prepare
    const written: Acknowledged[] = [];
    for (let i = 0; i < 10; i++) written.push(await applyAcknowledged(recipeFor(i, 'kept')));
    written.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => applyAcknowledged(recipeFor(i + 10, 'kept'))))));
    for (const target of written.slice(0, 5)) {
      const updated = await applyAcknowledged({ type: target.type, spec: { ...target.spec, description: 'second version' } });
      written[written.indexOf(target)] = updated;
    }
    // Starting a workspace or deployment is acknowledged as pending; its replicas then run (here
    // they fail: neither `serve` nor Jupyter is installed) and are recorded as they go.
    const intents = written.slice(5, 10).filter((w) => w.type !== 'job');
    for (const target of intents) {
      const response = await server.api('POST', `/api/${target.type}s/${target.id}/start`);
      expect(response.status).toBe(200);
      written[written.indexOf(target)] = acknowledged(response);
    }

    // Act
    await server.stop('SIGTERM');
    await server.restart();

    // Assess
    expect(server.output).toContain('SIGTERM: stopping');
    expect(written.slice(0, 5).every((w) => w.version === 2)).toBe(true);
    expect(intents.length).toBeGreaterThan(0);
    expect(intents.every((w) => written.find((x) => x.id === w.id)!.status === 'pending')).toBe(true);
    for (const expected of written) await expectStored(expected, { running: intents.some((i) => i.id === expected.id) });
    expect(await listedNames('kept')).toEqual(written.map((w) => w.name).sort());
  }, RESTART_TEST_TIMEOUT_MS);
});

describe('a crash (SIGKILL of the process group)', () => {
  it('keeps every acknowledged write, and the tokens', async () => {
    // Prepare
    await server.api('POST', '/api/users', { username: 'survivor' });
    const { json: issued } = await server.api('POST', '/api/users/survivor/tokens', {});
    expect(issued.token).toEqual(expect.any(String));
    const written: Acknowledged[] = [];
    let killed: Promise<unknown> | undefined;

    // Act: 40 writes at once; the group is killed as soon as 30 are acknowledged.
    const attempts = Array.from({ length: 40 }, async (_, i) => {
      const response = await server.api('PUT', '/api/recipes', recipeFor(i, 'crash'));
      if (response.status !== 201 || killed) return;
      written.push(acknowledged(response));
      if (written.length === 30) killed = server.stop('SIGKILL');
    });
    await Promise.allSettled(attempts);
    await (killed ?? server.stop('SIGKILL'));
    const printedBefore = server.output.length;
    await server.restart();

    // Assess
    expect(written.length).toBeGreaterThanOrEqual(30);
    for (const expected of written) await expectStored(expected);
    await expectListedEventually('crash', written.map((w) => w.name));
    // Every write committed before the kill, acknowledged or not, reached the read models, from
    // the delivery journal: the restart did not read the event history.
    const committed: string[] = [];
    for (let i = 0; i < 40; i++) {
      const { type, spec } = recipeFor(i, 'crash');
      if ((await server.api('GET', `/api/recipes/${type}/${spec.name}`)).status === 200) committed.push(spec.name);
    }
    await expectListedEventually('crash', committed);
    expect(server.output.slice(printedBefore)).toMatch(/Caught up on \d+ streams written since the last complete delivery/);
    expect((await server.api('GET', '/api/user')).json.username).toBe('admin');
    expect((await server.api('GET', '/api/user', undefined, {}, issued.token)).json.username).toBe('survivor');
    for (const kept of await listedNames('kept')) expect(kept).toMatch(/^kept-\d{2}$/);
    expect(await listedNames('kept')).toHaveLength(30);
  }, RESTART_TEST_TIMEOUT_MS);

  it('lists every run as it ended after a crash, though its views were still to be written', async () => {
    // Prepare: a platform whose views wait an hour to be written (VIEW_WRITE_BEHIND_MS), so that at
    // the kill every run's views are still in memory only, and a burst of runs followed to their
    // end through their own streams (not the listing, which would write them first)
    const behind = await LocalServer.start({ env: { VIEW_WRITE_BEHIND_MS: '3600000' } });
    try {
      const job = await behind.api('PUT', '/api/recipes', { type: 'job', spec: { name: 'crash-runs', command: 'true' } });
      const jobId = job.json.state.id as string;
      // More appends than a journal segment holds (SEGMENT_ENTRIES): a segment whose lines were all
      // let go is deleted, so only lines kept until their views were written bring them back.
      const dispatched = await Promise.all(
        Array.from({ length: RUNS_PAST_A_SEGMENT }, async (_, i) => {
          const response = await behind.api('POST', `/api/jobs/${jobId}/runs`, {}, { 'idempotency-key': `crash-run-${i}` });
          expect(response.status, response.text).toBe(202);
          return response.json.run.id as string;
        }),
      );
      const statusOf = async (runId: string) => (await behind.api('GET', `/api/jobs/${jobId}/runs/${runId}`)).json.run.status as string;
      for (const runId of dispatched) await waitUntil(`run ${runId} to succeed`, () => statusOf(runId), (status) => status === 'succeeded', RUNS_TIMEOUT_MS);

      // Act
      await behind.stop('SIGKILL');
      await behind.restart();

      // Assess: the journal kept each stream until its views were written, so the start delivered them again
      const listed = new Map<string, string>();
      let nextKey: string | null = null;
      do {
        const response = await behind.api('GET', `/api/jobs/${jobId}/runs${nextKey ? `?next_key=${encodeURIComponent(nextKey)}` : ''}`);
        expect(response.status, response.text).toBe(200);
        for (const run of response.json.runs as Json[]) listed.set(run.id as string, run.status as string);
        nextKey = response.json.next_key as string | null;
      } while (nextKey);
      expect(dispatched.map((id) => listed.get(id))).toEqual(dispatched.map(() => 'succeeded'));
      expect((await behind.api('GET', '/api/recipes/job/crash-runs')).json.state.last_run).toMatchObject({ status: 'succeeded' });
    } finally {
      await behind.dispose();
    }
  }, RESTART_TEST_TIMEOUT_MS);
});
