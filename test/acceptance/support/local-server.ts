/**
 * The real `npm start` in a child process, for acceptance tests that drive the local API
 * over HTTP: its own data directory, port and admin token, started in its own process group
 * so that stopping it (gracefully or with SIGKILL) takes npm, tsx and node down together.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const START_TIMEOUT_MS = 60_000;
/** How long a clean shutdown may take (ending every task, recording it) before SIGKILL; generous for a loaded machine. */
const STOP_TIMEOUT_MS = 45_000;

/**
 * A parsed response body. Tests read it field by field against the contract, so it is left
 * untyped rather than restating every response shape here.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface ApiResponse {
  status: number;
  /** The body parsed as JSON, or undefined when it is empty or not JSON (e.g. YAML). */
  json: Json;
  text: string;
  /** Response headers, names in lower case. */
  headers: Record<string, string>;
}

export interface LocalServerOptions {
  /** Extra environment, e.g. `{ RATE_LIMIT_PER_SECOND: '2' }`. */
  env?: Record<string, string>;
}

export type StopSignal = 'SIGTERM' | 'SIGKILL';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** A SIGTERM stop that was not over within the timeout and was finished with SIGKILL. */
  killedAfterTimeout?: boolean;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Live (non-zombie) members of a process group, read from /proc. */
function groupMembers(pgid: number): number[] {
  if (!existsSync('/proc')) {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') members.push(Number(entry));
  }
  return members;
}

export class LocalServer {
  readonly adminToken = `acc-admin-${randomBytes(12).toString('hex')}`;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'cassini-acceptance-'));
  /** Everything the server printed, across restarts. */
  output = '';
  port = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<ExitInfo> | undefined;
  private readonly killOnExit = () => this.killGroup('SIGKILL');

  private constructor(private readonly options: LocalServerOptions) {}

  /** Spawns `npm start` on a free port and a fresh data directory; resolves once it answers with the admin token. */
  static async start(options: LocalServerOptions = {}): Promise<LocalServer> {
    const server = new LocalServer(options);
    server.port = await freePort();
    await server.spawn();
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Sends a request. `body` is sent as is when it is a string or Buffer, as JSON otherwise;
   * the content type defaults to JSON. `token` defaults to the admin token; `null` sends no
   * Authorization header, and an `authorization` entry in `headers` wins over both.
   */
  async api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, token?: string | null): Promise<ApiResponse> {
    const sent: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) sent[name.toLowerCase()] = value;
    const bearer = token === undefined ? this.adminToken : token;
    if (bearer !== null && sent.authorization === undefined) sent.authorization = `Bearer ${bearer}`;
    let payload: Buffer | undefined;
    if (body !== undefined) {
      payload = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      sent['content-type'] ??= 'application/json';
      sent['content-length'] = String(payload.length);
    }
    return new Promise<ApiResponse>((done, fail) => {
      // A fresh connection per request: a connection the server dropped is never reused.
      const req = request(this.url + path, { method, headers: sent, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Json;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          const received: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) received[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          done({ status: res.statusCode ?? 0, json, text, headers: received });
        });
      });
      req.on('error', fail);
      req.end(payload);
    });
  }

  /**
   * SIGTERM: asks for a clean shutdown and waits until every process of the group is gone
   * (SIGKILL after a timeout). SIGKILL: kills the whole group at once, like a crash.
   */
  async stop(signal: StopSignal = 'SIGTERM'): Promise<ExitInfo> {
    const exited = this.exited;
    const pgid = this.child?.pid;
    if (!exited || pgid === undefined) return { code: null, signal: null };
    this.killGroup(signal);
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    let killedAfterTimeout = false;
    while (this.running || groupMembers(pgid).length > 0) {
      if (Date.now() > deadline && !killedAfterTimeout) {
        killedAfterTimeout = signal === 'SIGTERM';
        this.killGroup('SIGKILL');
      }
      await sleep(50);
    }
    const info = await exited;
    process.off('exit', this.killOnExit);
    this.child = undefined;
    this.exited = undefined;
    return { ...info, killedAfterTimeout };
  }

  /** Starts `npm start` again on the same data directory and port. */
  async restart(): Promise<void> {
    if (this.running) throw new Error('stop the server before restarting it');
    await this.spawn();
  }

  /** Kills the server if it still runs and removes its data directory. */
  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private killGroup(signal: StopSignal): void {
    if (!this.child?.pid) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // The group is already gone.
    }
  }

  private async spawn(): Promise<void> {
    const child = spawn('npm', ['start', '--silent'], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PORT: String(this.port),
        DATA_DIR: this.dataDir,
        ADMIN_TOKEN: this.adminToken,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        RATE_LIMIT_PER_SECOND: '1000',
        // Tests present bad tokens on purpose, all from 127.0.0.1: only the tests of the limit limit them.
        FAILED_LOGINS_PER_MINUTE: '60000',
        // Servers run side by side: none may take the default 2222. A test of SSH asks for a port of its own.
        SSH_PORT: 'off',
        ...this.options.env,
      },
    });
    this.child = child;
    this.exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    // A test run that dies early must not leave servers behind.
    process.on('exit', this.killOnExit);

    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`npm start exited before answering:\n${this.output.slice(-2000)}`);
      try {
        // /api/status answers before the admin user is bootstrapped, so wait for its token too.
        const status = await this.api('GET', '/api/status', undefined, {}, null);
        if (status.status === 200 && (await this.api('GET', '/api/user')).status === 200) return;
      } catch {
        // Not listening yet.
      }
      await sleep(100);
    }
    await this.stop('SIGKILL');
    throw new Error(`npm start did not answer GET /api/status within ${START_TIMEOUT_MS} ms:\n${this.output.slice(-2000)}`);
  }
}
