/**
 * The SSH gateway's listener behind the Network Load Balancer: each connection starts with a
 * proxy protocol v2 header (proxy-protocol.ts), read here before anything else, so the SSH
 * server gets a stream that starts at the client's own first byte and knows who the client is.
 *
 * What is closed without a word: a connection whose first bytes are not a valid header (it did
 * not come through the load balancer: only the load balancer's group reaches the gateway, but a
 * header is the proof), one that sends no complete header within HEADER_TIMEOUT, and the load
 * balancer's own health checks (LOCAL), which only test that the port accepts.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { readProxyHeader } from './proxy-protocol.ts';

/** How long a connection may take to send its header: the load balancer sends it at once. */
export const HEADER_TIMEOUT_MS = 5_000;

export interface ProxiedClient {
  address: string;
  port: number;
}

/**
 * A TCP server that calls `onClient` with each connection whose header names a client, the
 * socket positioned after the header (what followed it in the same packet is put back).
 */
export function createProxiedServer(onClient: (socket: Socket, client: ProxiedClient) => void, options: { headerTimeoutMs?: number } = {}): Server {
  return createServer((socket) => {
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), options.headerTimeoutMs ?? HEADER_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const header = readProxyHeader(received);
      if (header.kind === 'incomplete') return;
      clearTimeout(timer);
      socket.off('data', onData);
      if (header.kind !== 'proxied') {
        socket.destroy();
        return;
      }
      // Paused, so nothing is lost between here and the SSH server's own reader.
      socket.pause();
      const rest = received.subarray(header.length);
      if (rest.length > 0) socket.unshift(rest);
      onClient(socket, header.source);
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => clearTimeout(timer));
  });
}
