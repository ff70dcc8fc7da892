/**
 * The SSH gateway on AWS: an ssh2 server behind the proxied listener (proxied-connections.ts),
 * serving `ssh -p <port> <workspace>.<owner>@<SshHost>` for whoever the platform admits, with
 * the same rule and the same signature check as the local endpoint (shared/adapters/ssh/
 * public-key-login.ts). Each admitted connection gets one SSH connection of its own to the
 * workspace task's agent (user `cassini-gateway`, the workspace's password, the agent's host
 * key pinned), and each of its channels is forwarded onto one channel of that connection.
 *
 * The platform's policy is applied here, before anything reaches the agent (as the local
 * endpoint applies it, README "Connect with SSH, VS Code or PyCharm"):
 * - no remote forwarding (`-R`) or other global requests, no agent or X11 forwarding;
 * - no `env`/`SetEnv`: the session's environment is the workspace's, exactly;
 * - `-L` only to the task's loopback, never to the agent's own port or the edge sidecar's.
 * The agent applies the same rules again (the contract); the gateway does not rely on it.
 *
 * Sessions are recorded (started, ended) on the workspace through the admission function, with
 * the client's address from the proxy header; a session that cannot be recorded is not opened.
 */
import { randomUUID } from 'node:crypto';
import type { Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { finished } from 'node:stream';
// ssh2 is CommonJS: Node's ESM loader gives its exports as the default only.
import ssh2, { type ClientCallback, type ClientChannel, type Connection, type PseudoTtyInfo, type PseudoTtyOptions, type ServerChannel, type Session } from 'ssh2';
import { SSH_AGENT_USER } from '../../../shared/adapters/aws/ssh/ssh-agent-contract.ts';
import { answerPublicKeyLogins } from '../../../shared/adapters/ssh/public-key-login.ts';
import type { GatewayAdmission } from '../../../shared/domain/ssh/ssh-admission-protocol.ts';
import { workspaceNotRunningMessage } from '../../../shared/domain/ssh/workspace-not-running.ts';
import { createProxiedServer } from './proxied-connections.ts';
import { allowedForwardAddress } from '../../../shared/adapters/aws/ssh/workspace-forwards.ts';

/** How long the agent may take to answer the gateway's connection. */
const AGENT_READY_TIMEOUT_MS = 10_000;

/** What the gateway asks the platform (functions/ssh-admission, through admission-client.ts). */
export interface GatewayAdmissions {
  admit(login: string, keyBlob: string): Promise<GatewayAdmission | undefined>;
  /** Admits again and records the start; undefined when the login is no longer admitted (nothing recorded). */
  sessionStarted(login: string, keyBlob: string, session: { id: string; from: string }): Promise<GatewayAdmission | undefined>;
  sessionEnded(login: string, username: string, session: { id: string; from: string }): Promise<void>;
}

/** Where and how to reach a workspace task's agent. `password` is a secret: never logged. */
export interface AgentEndpoint {
  host: string;
  port: number;
  password: string;
  /** The agent's host key, `ssh-ed25519 AAAA…`: the only key the gateway accepts from it. */
  hostKey: string;
}

/** The agent of a workspace's running task, or undefined when none runs. */
export interface WorkspaceAgents {
  find(workspace: GatewayAdmission['workspace']): Promise<AgentEndpoint | undefined>;
}

export interface SshGatewayOptions {
  port: number;
  host?: string;
  /** The gateway's host key (OpenSSH private key), from the seed secret (secret-host-key.ts). */
  hostKey: string;
  admissions: GatewayAdmissions;
  agents: WorkspaceAgents;
  log?: (line: Record<string, unknown>) => void;
  headerTimeoutMs?: number;
}

export interface RunningSshGateway {
  port: number;
  close(): Promise<void>;
}

type Agent = { kind: 'connected'; connection: ssh2.Client } | { kind: 'unavailable'; message: string };

interface Login {
  login: string;
  keyBlob: string;
  admission: GatewayAdmission;
}

export async function startSshGateway(options: SshGatewayOptions): Promise<RunningSshGateway> {
  const log = options.log ?? ((line) => console.log(JSON.stringify(line)));
  const connections = new Set<Connection>();
  const ssh = new ssh2.Server({ hostKeys: [options.hostKey], ident: 'Cassini' }, (client, info) => {
    connections.add(client);
    client.on('close', () => connections.delete(client));
    serveClient(client, `${info.ip}:${info.port}`, options, log);
  });
  const listener: Server = createProxiedServer(
    (socket: Socket, source) => {
      // ssh2 names a connection's peer by its socket's remote address, here the load balancer's:
      // the socket is made to name the client the proxy header gave.
      Object.defineProperties(socket, { remoteAddress: { value: source.address }, remotePort: { value: source.port } });
      ssh.injectSocket(socket);
    },
    options.headerTimeoutMs === undefined ? {} : { headerTimeoutMs: options.headerTimeoutMs },
  );
  listener.on('error', (error: Error) => log({ level: 'error', component: 'ssh-gateway', message: 'listener error', error: String(error) }));
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (listener.address() as AddressInfo).port,
    async close() {
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      for (const client of connections) client.end();
      await closed;
    },
  };
}

function serveClient(client: Connection, from: string, options: SshGatewayOptions, log: (line: Record<string, unknown>) => void): void {
  let login: Login | undefined;
  let agent: Promise<Agent> | undefined;
  answerPublicKeyLogins(client, (name, key) => options.admissions.admit(name, key), {
    proved: (admission, ctx) => (login = { login: ctx.username, keyBlob: ctx.key.data.toString('base64'), admission }),
    failed: (error) => log({ level: 'error', component: 'ssh-gateway', message: 'login check failed', error: String(error) }),
  });
  client.on('ready', () => {
    if (login === undefined) return client.end();
    const admitted = login;
    const session = { id: randomUUID(), from };
    const started = options.admissions.sessionStarted(admitted.login, admitted.keyBlob, session).catch((error: unknown) => {
      log({ level: 'error', component: 'ssh-gateway', message: 'could not record the session start', error: String(error) });
      return undefined;
    });
    agent = started.then(async (recorded): Promise<Agent> => {
      if (recorded === undefined) {
        client.end();
        return { kind: 'unavailable', message: 'cassini: the session could not be recorded; try again.' };
      }
      return connectToWorkspace(recorded, options.agents, log);
    });
    client.once('close', () => {
      void agent?.then((reached) => (reached.kind === 'connected' ? reached.connection.end() : undefined));
      void started.then(async (recorded) => {
        if (recorded === undefined) return;
        await options.admissions.sessionEnded(admitted.login, recorded.username, session);
      }).catch((error: unknown) => log({ level: 'error', component: 'ssh-gateway', message: 'could not record the session end', error: String(error) }));
    });
  });
  client.on('session', (accept, reject) => {
    if (agent === undefined) return reject();
    forwardSession(accept(), agent);
  });
  client.on('tcpip', (accept, reject, target) => {
    if (agent === undefined || allowedForwardAddress(target.destIP, target.destPort) === undefined) return reject();
    void agent.then((reached) => {
      if (reached.kind !== 'connected') return reject();
      reached.connection.forwardOut(target.srcIP, target.srcPort, target.destIP, target.destPort, (error, upstream) => {
        if (error) return reject();
        const channel = accept();
        channel.pipe(upstream).pipe(channel);
        channel.on('error', () => upstream.destroy());
        upstream.on('error', () => channel.destroy());
      });
    });
  });
  // Global requests: -R (tcpip-forward), and anything else a client may ask.
  client.on('request', (_accept, reject) => reject?.());
  client.on('error', () => undefined);
}

/** The agent of the workspace's running task, connected with its credential and its host key pinned. */
async function connectToWorkspace(admission: GatewayAdmission, agents: WorkspaceAgents, log: (line: Record<string, unknown>) => void): Promise<Agent> {
  const { workspace } = admission;
  try {
    const endpoint = await agents.find(workspace);
    if (endpoint === undefined) return { kind: 'unavailable', message: workspaceNotRunningMessage(workspace) };
    return { kind: 'connected', connection: await connectAgent(endpoint) };
  } catch (error) {
    log({ level: 'error', component: 'ssh-gateway', message: 'could not reach the workspace agent', workspace: workspace.id, error: String(error) });
    return { kind: 'unavailable', message: `cassini: workspace ${workspace.name} of ${workspace.owner} could not be reached; try again in a moment.` };
  }
}

function connectAgent(endpoint: AgentEndpoint): Promise<ssh2.Client> {
  const pinned = Buffer.from(endpoint.hostKey.split(' ')[1] ?? '', 'base64');
  return new Promise((resolve, reject) => {
    const connection = new ssh2.Client();
    connection.once('ready', () => resolve(connection));
    connection.once('error', reject);
    connection.connect({
      host: endpoint.host,
      port: endpoint.port,
      username: SSH_AGENT_USER,
      password: endpoint.password,
      // Only the agent holding the key derived from the workspace's seed is the workspace's.
      hostVerifier: (key: Buffer) => pinned.length > 0 && key.equals(pinned),
      readyTimeout: AGENT_READY_TIMEOUT_MS,
      // Password only: no agent, no keyboard-interactive, nothing of the gateway's own.
      tryKeyboard: false,
    });
  });
}

function ptyOptions(info: PseudoTtyInfo): PseudoTtyOptions {
  return { rows: info.rows, cols: info.cols, height: info.height, width: info.width, term: info.term, modes: info.modes };
}

/** One client session channel onto one agent session channel, opened by the client's shell, exec or sftp request. */
function forwardSession(session: Session, agent: Promise<Agent>): void {
  let pty: PseudoTtyInfo | undefined;
  let upstream: ClientChannel | undefined;
  session.on('pty', (accept, _reject, info) => {
    pty = info;
    accept?.();
  });
  session.on('window-change', (accept, _reject, info) => {
    if (pty) Object.assign(pty, { rows: info.rows, cols: info.cols, height: info.height, width: info.width });
    upstream?.setWindow(info.rows, info.cols, info.height, info.width);
    accept?.();
  });
  session.on('signal', (accept, reject, info) => {
    if (upstream === undefined) return reject?.();
    upstream.signal(info.name);
    accept?.();
  });
  session.on('env', (_accept, reject) => reject?.());
  session.on('x11', (_accept, reject) => reject?.());
  session.on('auth-agent', (_accept, reject) => reject?.());
  const open = (channel: ServerChannel, request: (connection: ssh2.Client, callback: ClientCallback) => void) => {
    void agent.then((reached) => {
      if (reached.kind !== 'connected') return refuse(channel, reached.message);
      request(reached.connection, (error, opened) => {
        if (error) return refuse(channel, `cassini: the workspace refused the session: ${error.message}`);
        upstream = opened;
        relay(channel, opened);
      });
    });
  };
  session.on('shell', (accept) => open(accept(), (connection, callback) => connection.shell(pty ? ptyOptions(pty) : false, callback)));
  session.on('exec', (accept, _reject, info) =>
    open(accept(), (connection, callback) => (pty ? connection.exec(info.command, { pty: ptyOptions(pty) }, callback) : connection.exec(info.command, callback))),
  );
  session.on('subsystem', (accept, reject, info) => {
    if (info.name !== 'sftp') return reject?.();
    open(accept(), (connection, callback) => connection.subsys('sftp', callback));
  });
}

function refuse(channel: ServerChannel, message: string): void {
  channel.stderr.write(`${message}\n`);
  channel.exit(1);
  channel.end();
}

/** Bytes both ways; the agent's exit status (or signal) to the client once its output is all through. */
function relay(channel: ServerChannel, upstream: ClientChannel): void {
  let exit: { code: number } | { signal: string; dump: boolean; description: string } | undefined;
  upstream.on('exit', (code: number | null, signal?: string, dump?: boolean, description?: string) => {
    exit = code !== null ? { code } : { signal: (signal ?? 'KILL').replace(/^SIG/, ''), dump: dump === true, description: description ?? '' };
  });
  channel.pipe(upstream);
  upstream.pipe(channel, { end: false });
  upstream.stderr.pipe(channel.stderr, { end: false });
  const drained = (stream: NodeJS.ReadableStream) => new Promise<void>((resolve) => finished(stream, { writable: false }, () => resolve()));
  void Promise.all([drained(upstream), drained(upstream.stderr)]).then(() => {
    if (exit !== undefined) {
      if ('code' in exit) channel.exit(exit.code);
      else channel.exit(exit.signal, exit.dump, exit.description);
    }
    channel.end();
  });
  channel.on('error', () => upstream.destroy());
  upstream.on('error', () => channel.destroy());
  // The client went away: so does the agent's side of the channel, and what runs in it.
  channel.once('close', () => upstream.close());
}
