/**
 * Issue 19, item 1, for replicas that keep running, over HTTP against `npm start`: alice shares a
 * secret with the organisation, bob's deployment and her own attach it, and she takes it back.
 * Nobody restarts anything and no replica crashes; still, within the access re-check's interval
 * (CASSINI_ACCESS_RECHECK_SECONDS, shortened here), bob's deployment is in error with a reason
 * naming the secret and its replica process is gone, while alice's own keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalServer, type Json } from './support/local-server.ts';
import { processRuns } from './support/job-runs.ts';
import { waitUntil } from '../support/wait-until.ts';

import { signUpUsers, type ActAs } from './support/users.ts';

const SERVER_COMMAND = `node -e 'require("http").createServer((q, s) => s.end(JSON.stringify({ pid: process.pid, value: process.env.S ?? null }))).listen(process.env.PORT)'`;
const SETTLE_MS = 30_000;

let server: LocalServer;
let tokens: Record<string, string>;
let as: ActAs;

beforeAll(async () => {
  server = await LocalServer.start({ env: { CASSINI_HEALTH_GRACE_SECONDS: '6', CASSINI_PROBE_INTERVAL_MS: '200', CASSINI_ACCESS_RECHECK_SECONDS: '1' } });
  ({ tokens, as } = await signUpUsers(server, ['alice', 'bob']));
}, 90_000);

afterAll(async () => {
  await server?.stop('SIGTERM');
  await server?.dispose();
});

function reaches(user: string, id: string, status: string): Promise<Json> {
  return waitUntil(`deployment ${id} to be ${status}`, () => as(user, 'GET', `/api/deployments/${id}`), (recipe) => recipe.state.status === status, SETTLE_MS);
}

/** A running deployment of `user` attaching alice's secret; the pid of its replica, which read the value. */
async function servingDeployment(user: string, name: string): Promise<{ id: string; pid: number }> {
  const secrets = [{ name: 'team-key', owner: 'alice', attachment_type: 'environment_variable', location: 'S' }];
  const id = (await as(user, 'PUT', '/api/recipes', { type: 'deployment', spec: { name, command: SERVER_COMMAND, secrets } }, 201)).state.id;
  await as(user, 'POST', `/api/deployments/${id}/start`, undefined, 200);
  await reaches(user, id, 'running');
  const reply = await server.api('GET', '/', undefined, { host: `${name}-${user}.localhost:${server.port}` }, tokens[user]);
  expect(reply.json, reply.text).toMatchObject({ value: 'shared' });
  return { id, pid: reply.json.pid };
}

describe('the access re-check of running deployments', () => {
  it("stops bob's running deployment, naming the secret, once alice took it back; hers keeps serving", async () => {
    // Prepare
    await as('alice', 'PUT', '/api/secrets/team-key', { value: 'shared', access: 'org' }, 201);
    const bobs = await servingDeployment('bob', 'borrowed');
    const alices = await servingDeployment('alice', 'own');

    // Act: alice narrows the secret; nobody restarts anything
    await as('alice', 'PUT', '/api/secrets/team-key', { value: 'taken back', access: 'owner' }, 200);

    // Assess
    const failed = await reaches('bob', bobs.id, 'error');
    expect(failed.state.reason).toContain('bob may no longer use what the task attaches: spec.secrets[0].name: no secret named team-key owned by alice that bob may use');
    await waitUntil('no replica of bob to run', () => as('bob', 'GET', `/api/deployments/${bobs.id}/runtimesummary`), (s) => s.pod_summaries.length === 0, SETTLE_MS);
    await expect.poll(() => processRuns(bobs.pid), { message: "bob's replica process to be gone", timeout: SETTLE_MS }).toBe(false);
    // The stop's own report passes through `stopped` for a moment before the failure is recorded again (service-reactor.ts)
    const settled = await reaches('bob', bobs.id, 'error');
    expect(settled.state.reason).toBe(failed.state.reason);
    expect((await as('alice', 'GET', `/api/deployments/${alices.id}`)).state).toMatchObject({ status: 'running' });
    expect(processRuns(alices.pid)).toBe(true);
  }, 120_000);
});
