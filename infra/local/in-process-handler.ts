/**
 * An HTTP handler for the AWS SDK that gives each request to a request listener of this process
 * (dynalite's) instead of a socket. The SDK builds, signs and parses exactly what it would over
 * HTTP, and the listener reads the same method, path, headers and body and answers the same
 * bytes; only the network between them is gone.
 *
 * Two reasons, the first the one that matters:
 * - Nothing listens on a port. dynalite checks no signature, so a store on a loopback port is
 *   open to every process of the machine, tasks of other members included: any of them could
 *   read the tokens' records or append an admin to the event store.
 * - A request costs no socket write and read on either side, nor the event-loop turns between
 *   them: about a fifth less CPU per request here, and less waiting under load.
 */
import { EventEmitter } from 'node:events';
import { HttpResponse, type HttpHandler } from '@smithy/core/protocols';

/** A Node request listener, as far as it is called here. */
export type InProcessListener = (req: InProcessRequest, res: InProcessResponse) => void;

/** The part of IncomingMessage a listener like dynalite's reads: method, URL, headers, then the body as events. */
export class InProcessRequest extends EventEmitter {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly headers: Record<string, string>,
  ) {
    super();
  }
}

/** The part of ServerResponse such a listener writes: a status, headers, and the body at once. */
export class InProcessResponse {
  statusCode = 200;
  readonly headers: Record<string, string> = {};

  constructor(private readonly done: (response: HttpResponse) => void) {}

  setHeader(name: string, value: number | string): this {
    this.headers[name.toLowerCase()] = String(value);
    return this;
  }

  end(body?: string | Buffer): this {
    this.done(new HttpResponse({ statusCode: this.statusCode, headers: this.headers, body: Buffer.from(body ?? '') }));
    return this;
  }
}

export function inProcessHandler(listener: InProcessListener): HttpHandler {
  return {
    metadata: { handlerProtocol: 'http/1.1' },
    handle(request) {
      return new Promise((resolve) => {
        const query = new URLSearchParams();
        for (const [name, value] of Object.entries(request.query ?? {})) {
          for (const one of Array.isArray(value) ? value : [value]) if (one !== null) query.append(name, one);
        }
        const path = query.size > 0 ? `${request.path}?${query}` : request.path;
        const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]));
        const req = new InProcessRequest(request.method, path, headers);
        const res = new InProcessResponse((response) => resolve({ response }));
        listener(req, res);
        const body: unknown = request.body;
        if (typeof body === 'string') {
          if (body.length > 0) req.emit('data', Buffer.from(body));
        } else if (body instanceof Uint8Array) {
          // A view of the bytes: Buffer.from(body) would ask the SDK's byte body for its string form first.
          if (body.byteLength > 0) req.emit('data', Buffer.from(body.buffer, body.byteOffset, body.byteLength));
        } else if (body !== undefined && body !== null) {
          throw new Error('the in-process handler takes string or byte bodies only (DynamoDB JSON)');
        }
        req.emit('end');
      });
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
}
