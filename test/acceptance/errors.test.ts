/**
 * The error contract over HTTP against `npm start`: every row of API.md's error table, the
 * `{code, message, details?}` body, and that a refused request changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalServer, type ApiResponse, type Json } from './support/local-server.ts';

const MAX_BODY_BYTES = 256 * 1024;

let server: LocalServer;
/** A second server allowing 2 requests per second per caller (burst 4). */
let throttled: LocalServer;
let userToken: string;

beforeAll(async () => {
  [server, throttled] = await Promise.all([LocalServer.start(), LocalServer.start({ env: { RATE_LIMIT_PER_SECOND: '2' } })]);
  await server.api('POST', '/api/users', { username: 'plain' });
  userToken = (await server.api('POST', '/api/users/plain/tokens', {})).json.token;
});

afterAll(async () => {
  await Promise.all([server?.dispose(), throttled?.dispose()]);
});

/** Checks the status and that the body is exactly `{code, message, details?}` as JSON. */
function expectError(response: ApiResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.json.code).toBe(code);
  expect(typeof response.json.message).toBe('string');
  expect(response.json.message.trim().length).toBeGreaterThan(10);
  expect(Object.keys(response.json).every((key) => ['code', 'message', 'details'].includes(key))).toBe(true);
}

function detailPaths(response: ApiResponse): string[] {
  return response.json.details.map((d: Json) => d.path);
}

/** What the admin can observe of the store: every recipe, and one resource's audit log. */
async function snapshot(id: string): Promise<{ recipes: unknown; events: unknown }> {
  const recipes = (await server.api('GET', '/api/recipes?page_size=1000')).json;
  const events = (await server.api('GET', `/api/jobs/${id}/events`)).json;
  return { recipes, events };
}

describe('400 validation_error', () => {
  it('names every bad field of a recipe by path, unknown fields included', async () => {
    // Prepare
    const body = {
      schema_version: '2025.10.01',
      type: 'job',
      spec: {
        name: 'Bad_Name',
        scale: 0,
        schedule: 'every day',
        instance_type: 'huge',
        colour: 'red',
        git_repositories: [{ url: 'https://example.com/repo.git', branch: 'main' }],
        environment_variables: { '1BAD': 'x' },
      },
    };

    // Act
    const response = await server.api('PUT', '/api/recipes', body);

    // Assess
    expectError(response, 400, 'validation_error');
    expect(detailPaths(response)).toEqual(
      expect.arrayContaining([
        'spec.name',
        'spec.scale',
        'spec.schedule',
        'spec.instance_type',
        'spec.colour',
        'spec.git_repositories[0].branch',
        'spec.environment_variables.1BAD',
        'spec.command',
      ]),
    );
    for (const detail of response.json.details) expect(detail.message).toMatch(/\S/);
  });

  it('names bad and unknown fields of the recipe envelope', async () => {
    // Act
    const response = await server.api('PUT', '/api/recipes', { schema_version: '2099.01.01', type: 'cluster', spec: { name: 'x' }, colour: 'red' });

    // Assess
    expectError(response, 400, 'validation_error');
    expect(detailPaths(response)).toEqual(expect.arrayContaining(['schema_version', 'type', 'colour']));
  });

  it('names bad fields of other bodies and of the query', async () => {
    // Act
    const user = await server.api('POST', '/api/users', { username: 'Not Valid', nickname: 'x', admin: 'yes' });
    const token = await server.api('POST', '/api/users/plain/tokens', { expires_in_days: 0 });
    const query = await server.api('GET', '/api/recipes?page_size=0&type=cluster');

    // Assess
    expectError(user, 400, 'validation_error');
    expect(detailPaths(user)).toEqual(expect.arrayContaining(['username', 'nickname', 'admin']));
    expectError(token, 400, 'validation_error');
    expect(detailPaths(token)).toContain('expires_in_days');
    expectError(query, 400, 'validation_error');
    expect(detailPaths(query)).toEqual(expect.arrayContaining(['query.page_size', 'query.type']));
  });

  it('changes nothing when a recipe fails validation', async () => {
    // Prepare
    const { json: existing } = await server.api('PUT', '/api/recipes', { type: 'job', spec: { name: 'unchanged-by-400', command: 'run' } });
    const before = await snapshot(existing.state.id);

    // Act
    const response = await server.api('PUT', '/api/recipes', { type: 'job', spec: { name: 'unchanged-by-400', command: 'run', retries: -1 } });

    // Assess
    expectError(response, 400, 'validation_error');
    expect(await snapshot(existing.state.id)).toEqual(before);
  });
});

describe('400 invalid_json', () => {
  it.each([
    ['a truncated object', '{"type": "job", "spec": {"name": "broken"'],
    ['a trailing comma', '{"type": "job", "spec": {"name": "broken", "command": "x",}}'],
    ['plain words', 'apply my recipe please'],
  ])('refuses %s and changes nothing', async (_case, body) => {
    // Prepare
    const { json: existing } = await server.api('PUT', '/api/recipes', { type: 'job', spec: { name: 'unchanged-by-json', command: 'run' } });
    const before = await snapshot(existing.state.id);

    // Act
    const response = await server.api('PUT', '/api/recipes', body, { 'content-type': 'application/json' });

    // Assess
    expectError(response, 400, 'invalid_json');
    expect(await snapshot(existing.state.id)).toEqual(before);
  });

  it('refuses YAML that does not parse', async () => {
    // Act
    const response = await server.api('PUT', '/api/recipes', 'type: job\nspec: [unclosed', { 'content-type': 'application/yaml' });

    // Assess
    expectError(response, 400, 'invalid_json');
  });
});

describe('401 unauthenticated', () => {
  it('refuses a request without a token and one with an unknown token', async () => {
    // Act
    const missing = await server.api('GET', '/api/recipes', undefined, {}, null);
    const unknown = await server.api('GET', '/api/recipes', undefined, {}, 'cas_unknown');

    // Assess
    expectError(missing, 401, 'unauthenticated');
    expectError(unknown, 401, 'unauthenticated');
  });
});

describe('403 forbidden', () => {
  it('refuses a non-admin creating a user', async () => {
    // Act
    const response = await server.api('POST', '/api/users', { username: 'made-by-plain' }, {}, userToken);

    // Assess
    expectError(response, 403, 'forbidden');
  });
});

describe('404 not_found', () => {
  it.each([
    ['an unknown path', 'GET', '/api/nothing-here'],
    ['an unknown method on a known path', 'DELETE', '/api/recipes'],
    ['an unknown id', 'GET', `/api/jobs/${'ab'.repeat(16)}`],
    ['a malformed id', 'GET', '/api/jobs/not-an-id'],
    ['an unknown name', 'GET', '/api/recipes/job/no-such-job'],
  ])('answers %s', async (_case, method, path) => {
    // Act
    const response = await server.api(method, path);

    // Assess
    expectError(response, 404, 'not_found');
  });
});

describe('409 conflict', () => {
  it('refuses to create a resource whose name is taken', async () => {
    // Prepare
    const body = { type: 'job', spec: { name: 'conflicting', command: 'run' } };
    await server.api('POST', '/api/recipes?enforce_unknown=true', body);

    // Act
    const response = await server.api('POST', '/api/recipes?enforce_unknown=true', body);

    // Assess
    expectError(response, 409, 'conflict');
  });
});

describe('413 payload_too_large', () => {
  function recipeOfSize(bytes: number): string {
    const head = '{"type":"job","spec":{"name":"big","command":"run","description":"';
    const tail = '"}}';
    return head + 'a'.repeat(bytes - head.length - tail.length) + tail;
  }

  it('reads a body of exactly 256 KiB', async () => {
    // Act
    const response = await server.api('PUT', '/api/recipes', recipeOfSize(MAX_BODY_BYTES));

    // Assess
    expectError(response, 400, 'validation_error');
    expect(detailPaths(response)).toEqual(['spec.description']);
  });

  it('refuses a body one byte over 256 KiB and changes nothing', async () => {
    // Prepare
    const { json: existing } = await server.api('PUT', '/api/recipes', { type: 'job', spec: { name: 'unchanged-by-413', command: 'run' } });
    const before = await snapshot(existing.state.id);

    // Act
    const response = await server.api('PUT', '/api/recipes', recipeOfSize(MAX_BODY_BYTES + 1));

    // Assess
    expectError(response, 413, 'payload_too_large');
    expect(await snapshot(existing.state.id)).toEqual(before);
  });

  it('refuses a body under the 512 KiB the local server reads', async () => {
    // Act
    const response = await server.api('PUT', '/api/recipes', recipeOfSize(500 * 1024));

    // Assess
    expectError(response, 413, 'payload_too_large');
  });

  // Known defect, to turn into `it` once fixed: the local HTTP adapter stops reading a body
  // past 512 KiB by leaving `for await` early, which destroys the request and its socket;
  // reading `req.socket.remoteAddress` afterwards throws, so the client gets 500, not 413.
  it('refuses a body of 4 MiB with 413', async () => {
    // Act
    const response = await server.api('PUT', '/api/recipes', recipeOfSize(4 * 1024 * 1024));

    // Assess
    expectError(response, 413, 'payload_too_large');
  });
});

describe('415 unsupported_media_type', () => {
  it.each([
    ['text/plain on a recipe', 'PUT', '/api/recipes', 'text/plain'],
    ['a form on a recipe', 'PUT', '/api/recipes', 'application/x-www-form-urlencoded'],
    ['YAML on a route that takes only JSON', 'POST', '/api/users', 'application/yaml'],
  ])('refuses %s', async (_case, method, path, contentType) => {
    // Act
    const response = await server.api(method, path, 'username: someone\n', { 'content-type': contentType });

    // Assess
    expectError(response, 415, 'unsupported_media_type');
  });
});

describe('429 throttled', () => {
  it('refuses a caller over its rate with Retry-After, and only that caller', async () => {
    // Prepare
    await throttled.api('POST', '/api/users', { username: 'calm' });
    const { json: issued } = await throttled.api('POST', '/api/users/calm/tokens', {});

    // Act
    const burst = await Promise.all(Array.from({ length: 20 }, () => throttled.api('GET', '/api/user')));
    const other = await throttled.api('GET', '/api/user', undefined, {}, issued.token);

    // Assess
    const refused = burst.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(10);
    expect(burst.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    for (const response of refused) {
      expectError(response, 429, 'throttled');
      expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect(other.status).toBe(200);
  });
});
