/**
 * Input built to hurt, through the API handler over an embedded DynamoDB whose appends are
 * projected into every read model at once, as the local event feed does (issue 19, findings 7, 8
 * and 11): each is refused with the contract's status and code, and changes nothing.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import type { ApiHandler } from '../../infra/local/http-adapter.ts';
import { projectedApi } from './support/projected-api.ts';
import { apiEvent, callApi, type ApiReply } from './support/api-event.ts';

const ADMIN_TOKEN = 'hostile-input-admin-token';

let dynamo: EmbeddedDynamo;
let handler: ApiHandler;
let annToken: string;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  // Every append is projected at once: a batch the projector cannot project fails the request that appended it, so no test misses it.
  const api = await projectedApi(dynamo, ADMIN_TOKEN);
  annToken = api.tokens.ann!;
  handler = api.handler;
});

afterAll(async () => {
  await dynamo?.close();
});

function send(method: string, path: string, body?: string, contentType = 'application/json'): Promise<ApiReply> {
  const headers: Record<string, string> = { authorization: `Bearer ${annToken}` };
  if (body !== undefined) headers['content-type'] = contentType;
  return callApi(handler, { method, path, headers, ...(body === undefined ? {} : { body }) });
}

/** Sends raw bytes, base64-encoded as API Gateway and the local adapter hand over a body. */
async function sendBytes(method: string, path: string, bytes: Buffer): Promise<ApiReply> {
  const event = { ...apiEvent({ method, path, headers: { authorization: `Bearer ${annToken}`, 'content-type': 'application/json' } }), body: bytes.toString('base64'), isBase64Encoded: true };
  const result = await handler(event, {});
  const text = result.body ?? '';
  return { status: result.statusCode ?? 200, headers: {}, text, json: text ? JSON.parse(text) : undefined };
}

async function jobNames(): Promise<string[]> {
  const listed = (await send('GET', '/api/recipes?type=job')).json as { recipes: Array<{ spec: { name: string } }> };
  return listed.recipes.map((r) => r.spec.name);
}

/** Random text in base64, which neither YAML nor gzip folds. */
function noise(bytes: number): string {
  return randomBytes(bytes).toString('base64').slice(0, bytes);
}

describe('YAML aliases (finding 7)', () => {
  it('refuses a 187 KB body whose 140 KB anchor is used three times with 413, storing nothing', async () => {
    // Prepare: the attack as filed
    const anchor = noise(140 * 1024);
    const yaml = [
      'type: job',
      'spec:',
      '  name: aliased',
      '  command: run',
      `  description: &big "${anchor}"`,
      '  start_script: *big',
      '  environment_variables:',
      '    A: *big',
      '    B: *big',
      '',
    ].join('\n');
    expect(yaml.length).toBeLessThan(256 * 1024);

    // Act
    const reply = await send('PUT', '/api/recipes', yaml, 'application/yaml');

    // Assess
    expect(reply.status, reply.text.slice(0, 300)).toBe(413);
    expect(reply.json).toEqual({ code: 'payload_too_large', message: expect.stringMatching(/YAML aliases/) });
    expect(await jobNames()).not.toContain('aliased');
  });

  it('refuses a 200 KB anchor used 45 times in environment_variables with 413', async () => {
    const anchor = 'x'.repeat(200 * 1024);
    const uses = Array.from({ length: 45 }, (_, i) => `    V${i}: *big`);
    const yaml = ['type: job', 'spec:', '  name: aliased-env', '  command: run', `  description: &big ${anchor}`, '  environment_variables:', ...uses, ''].join('\n');

    const reply = await send('PUT', '/api/recipes', yaml, 'application/yaml');

    expect(reply.status, reply.text.slice(0, 300)).toBe(413);
    expect(await jobNames()).not.toContain('aliased-env');
  });

  it('stores, projects and lists a recipe at the body limit: every view of a recipe the API accepts fits DynamoDB', async () => {
    // Prepare: just under 256 KiB once parsed, the largest a recipe can be
    const body = JSON.stringify({ type: 'job', spec: { name: 'largest', command: 'run', environment_variables: { A: 'a'.repeat(255 * 1024) } } });

    // Act
    const reply = await send('PUT', '/api/recipes', body);

    // Assess
    expect(reply.status, reply.text.slice(0, 300)).toBe(201);
    expect(await jobNames()).toContain('largest');
  });

  it('refuses a run whose overrides, added to the spec, would make a record no view could hold, with 413, before the job records it', async () => {
    // Prepare: 200 KB of variables in the spec, 200 KB more in the run's overrides
    const created = await send('PUT', '/api/recipes', JSON.stringify({ type: 'job', spec: { name: 'wide', command: 'run', environment_variables: { A: 'a'.repeat(200 * 1024) } } }));
    expect(created.status, created.text.slice(0, 300)).toBe(201);
    const id = (created.json as { state: { id: string } }).state.id;

    // Act
    const run = await send('POST', `/api/jobs/${id}/runs`, JSON.stringify({ environment_variables: { B: 'b'.repeat(200 * 1024) } }));

    // Assess
    expect(run.status, run.text.slice(0, 300)).toBe(413);
    expect((run.json as { code: string }).code).toBe('payload_too_large');
    expect((await send('GET', `/api/jobs/${id}/runs`)).json).toMatchObject({ runs: [] });
    const events = (await send('GET', `/api/jobs/${id}/events`)).json as { events: Array<{ type: string }> };
    expect(events.events.map((e) => e.type)).toEqual(['ResourceCreated']);
  });

  it('still reads a recipe whose aliases keep it small', async () => {
    const yaml = ['type: job', 'spec:', '  name: small-aliases', '  command: &c run', '  start_script: *c', ''].join('\n');

    const reply = await send('PUT', '/api/recipes', yaml, 'application/yaml');

    expect(reply.status, reply.text).toBe(201);
  });
});

describe('ranges and types (finding 8 and 11)', () => {
  it('refuses timeout: "99999999999999999999h" with 400 at spec.timeout', async () => {
    const reply = await send('PUT', '/api/recipes', JSON.stringify({ type: 'job', spec: { name: 'forever', command: 'run', timeout: '99999999999999999999h' } }));

    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ code: 'validation_error', details: [{ path: 'spec.timeout', message: expect.stringContaining('at most 365 days') }] });
    expect(await jobNames()).not.toContain('forever');
  });

  it('says what type: scale must be an integer, description a string', async () => {
    const reply = await send('PUT', '/api/recipes', JSON.stringify({ type: 'job', spec: { name: 'typed', command: 'run', scale: 100.0000001, description: 123 } }));

    expect(reply.status).toBe(400);
    expect((reply.json as { details: unknown[] }).details).toEqual(
      expect.arrayContaining([
        { path: 'spec.scale', message: expect.stringContaining('must be an integer') },
        { path: 'spec.description', message: expect.stringContaining('must be a string') },
      ]),
    );
  });
});

describe('text that is not text (finding 11)', () => {
  it('refuses a secret value in invalid UTF-8 with 400 instead of storing U+FFFD, and creates nothing', async () => {
    // Prepare: {"value":"pa<0xff>ss"}
    const bytes = Buffer.concat([Buffer.from('{"value":"pa'), Buffer.from([0xff]), Buffer.from('ss"}')]);

    // Act
    const reply = await sendBytes('PUT', '/api/secrets/mangled', bytes);

    // Assess
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ code: 'invalid_json', message: expect.stringContaining('not valid UTF-8') });
    expect((await send('GET', '/api/secrets/mangled')).status).toBe(404);
  });

  it('refuses a lone surrogate escape, which no UTF-8 can hold, naming the field', async () => {
    const reply = await send('PUT', '/api/secrets/half', '{"value":"a\\ud800b"}');

    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ code: 'validation_error', details: [{ path: 'value', message: expect.stringContaining('not valid Unicode') }] });
    expect((await send('GET', '/api/secrets/half')).status).toBe(404);
  });

  it('accepts a surrogate pair, which is one character', async () => {
    const reply = await send('PUT', '/api/secrets/emoji', '{"value":"\\ud83d\\ude00"}');

    expect(reply.status, reply.text).toBe(201);
  });
});
