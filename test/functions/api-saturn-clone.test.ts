/**
 * `SaturnConnection.clone` (and `sc clone`) between every pair of resource types, done as the
 * client does it (saturn_client/core.py): read the source with `as_template=True`, edit the
 * template, and create it with `POST /api/recipes?enforce_unknown=false`, which drops the fields
 * the new type does not know and names them in `warnings`. Without the flag they are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import type { ApiHandler } from '../../infra/local/http-adapter.ts';
import { projectedApi } from './support/projected-api.ts';
import { sendWithToken, type ApiReply } from './support/api-event.ts';

const ADMIN_TOKEN = 'saturn-clone-admin-token';
type Type = 'workspace' | 'deployment' | 'job';
type Recipe = { schema_version: string; type: Type; spec: Record<string, unknown>; state?: Record<string, unknown>; warnings?: string[] };

let dynamo: EmbeddedDynamo;
let handler: ApiHandler;
let annToken: string;

const SOURCES: Record<Type, Record<string, unknown>> = {
  workspace: {
    name: 'lab',
    git_repositories: [{ url: 'https://github.com/example/analysis.git', on_restart: 'reclone' }],
    environment_variables: { STAGE: 'dev' },
    auto_shutoff: '6 hours',
  },
  deployment: { name: 'api', command: 'python serve.py', healthcheck: '/health', scale: 2 },
  job: { name: 'etl', command: 'python etl.py', schedule: '0 3 * * *', concurrency_policy: 'Forbid', retries: 2 },
};

/** What the new type does not know, of what each source's template holds. */
const DROPPED: Record<Type, Record<Type, string[]>> = {
  workspace: { workspace: [], deployment: ['spec.auto_shutoff'], job: ['spec.auto_shutoff'] },
  deployment: { workspace: ['spec.healthcheck', 'spec.scale'], deployment: [], job: ['spec.healthcheck'] },
  job: {
    workspace: ['spec.concurrency_policy', 'spec.retries', 'spec.schedule', 'spec.schedule_timezone', 'spec.scale'],
    deployment: ['spec.concurrency_policy', 'spec.retries', 'spec.schedule', 'spec.schedule_timezone'],
    job: [],
  },
};

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  const api = await projectedApi(dynamo, ADMIN_TOKEN);
  annToken = api.tokens.ann!;
  handler = api.handler;
  for (const [type, spec] of Object.entries(SOURCES)) {
    const created = await send('PUT', '/api/recipes', { schema_version: '2025.10.01', type, spec });
    expect(created.status, created.text).toBe(201);
  }
});

afterAll(async () => {
  await dynamo?.close();
});

function send(method: string, path: string, body?: unknown): Promise<ApiReply> {
  return sendWithToken(handler, annToken, method, path, body);
}

/** `SaturnConnection.clone`, step by step, as the client does it. */
async function clone(from: Type, name: string, to: Type, newName: string, command: string | null): Promise<ApiReply> {
  const template = (await send('GET', `/api/recipes/${from}/${name}?as_template=True`)).json as Recipe;
  const spec = template.spec;
  const routes = spec.routes as Array<{ container_port: number; visibility: string }> | undefined;
  if (routes && routes.length > 0) {
    const defaultPort = template.type === 'deployment' ? 8000 : 8888;
    spec.routes = routes.filter((r) => r.container_port !== defaultPort);
  }
  spec.name = newName;
  template.type = to;
  if (to === 'deployment' || to === 'job') spec.command = command;
  if (to === 'job') spec.start_dind = false;
  if (from !== 'workspace' && to === 'workspace') for (const repo of spec.git_repositories as Array<Record<string, unknown>>) repo.on_restart = 'preserve changes';
  if (from === 'workspace') {
    spec.ide = null;
    spec.disk_space = null;
  }
  return send('POST', '/api/recipes?enforce_unknown=false', template);
}

describe('as_template=true', () => {
  it('answers GET /api/recipes/{type}/{name} as `SaturnConnection.get_resource(as_template=True)` reads it: no state, no derived subdomain', async () => {
    const reply = await send('GET', '/api/recipes/deployment/api?as_template=True');
    expect(reply.status).toBe(200);
    const template = reply.json as Recipe;
    expect(Object.keys(template).sort()).toEqual(['schema_version', 'spec', 'type']);
    expect(template.spec).not.toHaveProperty('subdomain');
    expect(template.spec).toMatchObject({ name: 'api', owner: 'ann', command: 'python serve.py', healthcheck: '/health', git_repositories: [] });
    const plain = (await send('GET', '/api/recipes/deployment/api')).json as Recipe;
    expect(plain.state).toMatchObject({ id: expect.any(String) });
    expect(plain.spec).toMatchObject({ subdomain: 'api-ann' });
  });

  it('answers GET /api/recipes?as_template=True as `SaturnConnection.list_resources(as_template=True)` pages it', async () => {
    const reply = await send('GET', '/api/recipes?as_template=True');
    const body = reply.json as { recipes: Recipe[]; next_last_key: string | null };
    expect(body.recipes.map((r) => r.spec.name).sort()).toEqual(['api', 'etl', 'lab']);
    expect(body.recipes.every((r) => r.state === undefined)).toBe(true);
    expect(body).toHaveProperty('next_last_key', null);
  });

  it('refuses a flag that is not yes or no, naming it', async () => {
    const reply = await send('GET', '/api/recipes/job/etl?as_template=sometimes');
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ code: 'validation_error', details: [{ path: 'query.as_template' }] });
  });
});

describe('enforce_unknown', () => {
  it('refuses fields the type does not know by default (and with enforce_unknown=true), creating nothing', async () => {
    const recipe = { schema_version: '2025.10.01', type: 'job', spec: { name: 'strict', command: 'true', healthcheck: '/' } };
    for (const path of ['/api/recipes', '/api/recipes?enforce_unknown=true']) {
      const reply = await send('POST', path, recipe);
      expect(reply.status).toBe(400);
      expect(reply.json).toMatchObject({ code: 'validation_error', details: [{ path: 'spec.healthcheck', message: expect.stringContaining('unknown') }] });
    }
    expect((await send('GET', '/api/recipes/job/strict')).status).toBe(404);
  });

  it('still refuses every other problem with enforce_unknown=false', async () => {
    const reply = await send('PUT', '/api/recipes?enforce_unknown=false', { type: 'job', spec: { name: 'loose', healthcheck: '/', retries: -1 } });
    expect(reply.status).toBe(400);
    expect((reply.json as { details: Array<{ path: string }> }).details.map((d) => d.path).sort()).toEqual(['spec.command', 'spec.retries']);
  });

  it('drops unknown nested fields too, naming each path', async () => {
    const reply = await send('PUT', '/api/recipes?enforce_unknown=false', {
      type: 'job',
      spec: { name: 'nested', command: 'true', git_repositories: [{ url: 'https://github.com/example/a.git', mirror: true }] },
    });
    expect(reply.status, reply.text).toBe(201);
    expect((reply.json as Recipe).warnings).toEqual(['spec.git_repositories[0].mirror: a job has no such field; it was dropped']);
  });
});

describe('`SaturnConnection.clone` between every pair of types', () => {
  const types: Type[] = ['workspace', 'deployment', 'job'];
  for (const from of types) {
    for (const to of types) {
      it(`clones a ${from} into a ${to}, dropping and naming what a ${to} does not know`, async () => {
        // Act
        const newName = `${from.slice(0, 3)}-to-${to.slice(0, 3)}`;
        const reply = await clone(from, SOURCES[from].name as string, to, newName, 'python main.py');

        // Assess
        expect(reply.status, reply.text).toBe(201);
        const copy = reply.json as Recipe;
        expect(copy.type).toBe(to);
        expect(copy.spec).toMatchObject({ name: newName, owner: 'ann' });
        expect(copy.state).toMatchObject({ id: expect.any(String), status: 'stopped' });
        expect((copy.warnings ?? []).map((w) => w.slice(0, w.indexOf(':'))).sort()).toEqual([...DROPPED[from][to]].sort());
        // Its address derives from its own name, not the source's.
        if (to !== 'job') expect(copy.state?.url).toBe(`http://${newName}-ann.localhost/`);
        if (to !== 'workspace') expect(copy.spec.command).toBe('python main.py');
        if (from === 'workspace') expect(copy.spec.git_repositories).toMatchObject([{ url: 'https://github.com/example/analysis.git' }]);
        // The source is as it was.
        expect((await send('GET', `/api/recipes/${from}/${SOURCES[from].name as string}`)).json).toMatchObject({ spec: SOURCES[from] });
      });
    }
  }
});
