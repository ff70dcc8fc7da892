/**
 * The gateway's listener (infra/aws/ssh-gateway/proxied-connections.ts) on a real loopback
 * socket: an ssh2 server behind it sees the client's own stream and the address the load
 * balancer's header names; connections without a header, and health checks, are closed.
 */
import { connect, type Socket } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ssh2 from 'ssh2';
import { createProxiedServer, type ProxiedClient } from '../../../../infra/aws/ssh-gateway/proxied-connections.ts';
import { hostKeyFromSeed } from '../../../../infra/aws/ssh-gateway/host-key-from-seed.ts';

const SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
const HOST_KEY = hostKeyFromSeed('a-test-seed-that-is-long-enough-for-a-key-0123456789');

function proxyHeader(command: number, address?: [number, number, number, number], port = 0): Buffer {
  const body = Buffer.alloc(address ? 12 : 0);
  if (address) {
    Buffer.from(address).copy(body, 0);
    Buffer.from([10, 0, 0, 9]).copy(body, 4);
    body.writeUInt16BE(port, 8);
    body.writeUInt16BE(2222, 10);
  }
  const length = Buffer.alloc(2);
  length.writeUInt16BE(body.length);
  return Buffer.concat([SIGNATURE, Buffer.from([command, address ? 0x11 : 0x00]), length, body]);
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

describe('createProxiedServer', () => {
  const clients: ProxiedClient[] = [];
  let server: Server;
  let port: number;

  beforeAll(async () => {
    const ssh = new ssh2.Server({ hostKeys: [HOST_KEY.privateKey] }, (connection) => {
      connection.on('authentication', (ctx) => ctx.reject());
      connection.on('error', () => undefined);
    });
    server = createProxiedServer(
      (socket, client) => {
        clients.push(client);
        ssh.injectSocket(socket);
      },
      { headerTimeoutMs: 300 },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('hands the SSH server the stream after the header, and the client the header names', async () => {
    // Prepare: an ssh2 client whose first bytes go out right behind the header, in one write.
    const socket = connect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const write = socket.write.bind(socket) as (chunk: Buffer) => boolean;
    let first = true;
    (socket as unknown as { write: (chunk: Buffer) => boolean }).write = (chunk: Buffer) => {
      const out = first ? Buffer.concat([proxyHeader(0x21, [203, 0, 113, 9], 51000), Buffer.from(chunk)]) : chunk;
      first = false;
      return write(out);
    };
    let hostKey: Buffer | undefined;
    const client = new ssh2.Client();

    // Act: the handshake completes (the host key is shown), then the login is refused.
    const outcome = await new Promise<string>((resolve) => {
      client.on('error', (error) => resolve(error.message));
      client.connect({ sock: socket, username: 'lab.ann', password: 'x', hostVerifier: (key: Buffer) => ((hostKey = key), true) });
    });

    // Assess
    expect(outcome).toMatch(/authentication methods failed/);
    expect(hostKey?.toString('base64')).toBe(HOST_KEY.publicKey.split(' ')[1]);
    expect(clients).toContainEqual({ address: '203.0.113.9', port: 51000 });
  });

  it('closes a connection that speaks SSH without a header (it did not come through the load balancer)', async () => {
    const before = clients.length;
    const socket = connect({ port, host: '127.0.0.1' });
    socket.write('SSH-2.0-OpenSSH_9.6\r\n');
    await closed(socket);
    expect(clients).toHaveLength(before);
  });

  it('closes the load balancer\'s health checks (LOCAL) without starting SSH', async () => {
    const before = clients.length;
    const socket = connect({ port, host: '127.0.0.1' });
    socket.write(proxyHeader(0x20));
    await closed(socket);
    expect(clients).toHaveLength(before);
  });

  it('closes a connection that sends no complete header in time', async () => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.write(SIGNATURE.subarray(0, 6));
    const started = Date.now();
    await closed(socket);
    expect(Date.now() - started, 'closed by the header timeout, not at once').toBeGreaterThanOrEqual(250);
  });
});
