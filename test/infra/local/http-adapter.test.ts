import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpAdapter, type ApiHandler } from '../../../infra/local/http-adapter.ts';

const MAX = 1024;
let server: Server;
let port: number;
let handled = 0;

beforeAll(async () => {
  const handler: ApiHandler = async () => {
    handled++;
    return { statusCode: 200, body: 'ok' };
  };
  server = createServer(httpAdapter(handler, { maxBodyBytes: MAX, tooLargeMessage: 'too large' }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('httpAdapter', () => {
  it('refuses a declared Content-Length over the limit with 413 before the body arrives (issue 19, finding 11)', async () => {
    // Prepare: a client that announces 10 MiB and sends only the first kilobyte
    const req = request({ host: '127.0.0.1', port, method: 'PUT', path: '/api/recipes', headers: { 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024) } });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(1024, 'a'));

    // Act: the answer comes while the body is still owed
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    req.destroy();

    // Assess
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(Buffer.concat(chunks).toString())).toEqual({ code: 'payload_too_large', message: 'too large' });
    expect(handled).toBe(0);
  });

  it('lets a client that sends its whole over-limit body anyway read the 413, not a broken pipe', async () => {
    // Prepare
    const body = Buffer.alloc(4 * 1024 * 1024, 'a');
    const req = request({ host: '127.0.0.1', port, method: 'PUT', path: '/api/recipes', agent: false, headers: { 'content-length': String(body.length) } });
    const failed: Error[] = [];
    req.on('error', (error) => failed.push(error));

    // Act
    req.end(body);
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    res.resume();
    await once(res, 'end');

    // Assess
    expect(res.statusCode).toBe(413);
    expect(failed).toEqual([]);
  });

  it('hands a body within the limit to the API', async () => {
    const req = request({ host: '127.0.0.1', port, method: 'PUT', path: '/x', headers: { 'content-length': String(MAX) } });
    req.end(Buffer.alloc(MAX, 'a'));
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    res.resume();

    expect(res.statusCode).toBe(200);
    expect(handled).toBe(1);
  });
});

describe('httpAdapter.drained', () => {
  it('wakes everyone waiting once the last request under way ends, and says false to one whose bound passed first', async () => {
    // Prepare: a request held inside the handler
    let answer!: () => void;
    const held = new Promise<void>((resolve) => (answer = resolve));
    const adapter = httpAdapter(
      async () => {
        await held;
        return { statusCode: 200, body: 'ok' };
      },
      { maxBodyBytes: MAX, tooLargeMessage: 'too large' },
    );
    const busy = createServer(adapter).listen(0, '127.0.0.1');
    await once(busy, 'listening');
    const req = request({ host: '127.0.0.1', port: (busy.address() as AddressInfo).port, path: '/api/status' });
    req.end();
    await expect.poll(async () => adapter.drained(0), { message: 'the request to be under way' }).toBe(false);

    // Act
    const waiters = [adapter.drained(60_000), adapter.drained(60_000), adapter.drained(1)];
    await waiters[2];
    answer();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    res.resume();

    // Assess
    expect(await Promise.all(waiters)).toEqual([true, true, false]);
    busy.closeAllConnections();
    await new Promise((resolve) => busy.close(resolve));
  });
});
