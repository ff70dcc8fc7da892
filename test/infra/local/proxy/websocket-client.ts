/**
 * Just enough of RFC 6455 to test a WebSocket through the proxy without a library: the opening
 * handshake and unfragmented text frames, masked from client to server as §5.3 requires.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

export function textFrame(text: string, masked: boolean): Buffer {
  const payload = Buffer.from(text);
  const length = payload.length < 126 ? Buffer.from([payload.length]) : Buffer.from([126, payload.length >> 8, payload.length & 0xff]);
  length[0]! |= masked ? 0x80 : 0;
  if (!masked) return Buffer.concat([Buffer.from([0x81]), length, payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x81]), length, mask, body]);
}

/** How long `next` waits for a frame before failing, saying so (well short of a test's timeout). */
const FRAME_WAIT_MS = 5_000;

interface Waiter {
  resolve(text: string): void;
  reject(error: Error): void;
}

/**
 * Reads whole text frames off a byte stream, whichever side's framing (masked or not). A frame
 * that never comes fails `next` with what happened instead (the stream closed, or nothing came
 * in time), so a regression reads as a message rather than a test timeout.
 */
export class FrameReader {
  #buffer = Buffer.alloc(0);
  #closed = false;
  readonly #frames: string[] = [];
  readonly #waiting: Waiter[] = [];

  constructor(stream: Duplex, initial: Buffer = Buffer.alloc(0)) {
    this.#push(initial);
    stream.on('data', (chunk: Buffer) => this.#push(chunk));
    stream.on('close', () => {
      this.#closed = true;
      for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#closedError());
    });
    stream.resume();
  }

  next(): Promise<string> {
    const frame = this.#frames.shift();
    if (frame !== undefined) return Promise.resolve(frame);
    if (this.#closed) return Promise.reject(this.#closedError());
    const frame$ = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
        reject(new Error(`no WebSocket frame within ${FRAME_WAIT_MS} ms (${this.#buffer.length} bytes of an incomplete frame buffered)`));
      }, FRAME_WAIT_MS);
      const waiter: Waiter = {
        resolve: (text) => (clearTimeout(timer), resolve(text)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      };
      this.#waiting.push(waiter);
      timer.unref();
    });
    // A test may leave a read pending when it ends (a backend that got what it needed): its
    // failure then concerns no one. Whoever awaits the read still gets the failure.
    frame$.catch(() => undefined);
    return frame$;
  }

  #closedError(): Error {
    return new Error(`the connection closed before a WebSocket frame came (${this.#buffer.length} bytes of an incomplete frame buffered)`);
  }

  #push(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      if (this.#buffer.length < 2) return;
      const masked = (this.#buffer[1]! & 0x80) !== 0;
      let length = this.#buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.#buffer.length < 4) return;
        length = this.#buffer.readUInt16BE(2);
        offset = 4;
      }
      const mask = masked ? this.#buffer.subarray(offset, offset + 4) : undefined;
      if (masked) offset += 4;
      if (this.#buffer.length < offset + length) return;
      const payload = Buffer.from(this.#buffer.subarray(offset, offset + length));
      if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
      this.#buffer = this.#buffer.subarray(offset + length);
      const text = payload.toString();
      const waiter = this.#waiting.shift();
      if (waiter) waiter.resolve(text);
      else this.#frames.push(text);
    }
  }
}

/** Accepts an upgrade on a backend server: answers 101 and returns a reader of the client's frames. */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer): FrameReader {
  const key = String(req.headers['sec-websocket-key']);
  // Like a real WebSocket server, it closes when the other side does (Node's HTTP server would keep the socket half-open).
  socket.on('end', () => socket.end());
  socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(key)}`, '', ''].join('\r\n'));
  return new FrameReader(socket, head);
}

export interface ClientHandshake {
  socket: Socket;
  /** The status line and headers the client received, as text. */
  responseHead: string;
  status: number;
  /** Bytes after the response head, for a 101 the first frames, else the body. */
  rest: Buffer;
  expectedAccept: string;
}

/** Opens a raw connection to the front and sends a WebSocket opening handshake. */
export async function openWebSocket(port: number, host: string, path: string, headers: Record<string, string> = {}): Promise<ClientHandshake> {
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  const key = randomBytes(16).toString('base64');
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: ${host}:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    'Sec-WebSocket-Version: 13',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  let received = Buffer.alloc(0);
  for (;;) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    received = Buffer.concat([received, chunk]);
    const end = received.indexOf('\r\n\r\n');
    if (end >= 0) {
      socket.pause();
      const responseHead = received.subarray(0, end).toString();
      return { socket, responseHead, status: Number(responseHead.split(' ')[1]), rest: received.subarray(end + 4), expectedAccept: acceptKey(key) };
    }
  }
}

/** Reads what is left of a refused handshake until the proxy closes the connection. */
export async function readToEnd(handshake: ClientHandshake): Promise<string> {
  const chunks: Buffer[] = [handshake.rest];
  handshake.socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  handshake.socket.resume();
  await once(handshake.socket, 'close');
  return Buffer.concat(chunks).toString();
}
