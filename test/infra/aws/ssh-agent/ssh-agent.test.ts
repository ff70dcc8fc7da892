/**
 * The SSH agent as it runs in a workspace task: its one-file bundle (bundleSshAgent) started as
 * a child process on a random port, in a directory and environment standing for the main
 * container's, spoken to by ssh2's client exactly as the gateway speaks the contract
 * (shared/adapters/aws/ssh/ssh-agent-contract.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { startAgentProcess } from '../support/ssh-agent-process.ts';
import { allowedForwardAddress } from '../../../../shared/adapters/aws/ssh/workspace-forwards.ts';
import { hostKeyFromSeed } from '../../../../infra/aws/ssh-gateway/host-key-from-seed.ts';
import { SSH_AGENT_SECRET_VARIABLE, SSH_AGENT_USER, WORKSPACE_SSH_PORT } from '../../../../shared/adapters/aws/ssh/ssh-agent-contract.ts';
import { makeSshAgentSecret } from '../../../../shared/adapters/aws/ssh/ssh-agent-secrets.ts';
import { EDGE_HEALTH_PORT } from '../../../../shared/adapters/aws/services/edge-sidecar.ts';
import { readableKeyPair } from '../../../support/ssh-key-pair.ts';

const secret = makeSshAgentSecret();
const hostKey = hostKeyFromSeed(secret.hostKeySeed);
let dir: string;
let home: string;
let project: string;
let agent: ChildProcess;
let agentPort: number;
let web: Server;
let webPort: number;
/** A server where the edge sidecar's ports are (EDGE_HEALTH_PORT and up, above Linux's ephemeral range). */
let edgeLike: Server;
let edgeLikePort: number;
const clients: Client[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cassini-ssh-agent-'));
  ({ child: agent, port: agentPort, home, project } = await startAgentProcess(dir, secret));
  // On every address, so that a forward the agent does not refuse would reach it.
  web = createServer((_request, response) => response.end('inside the workspace'));
  await new Promise<void>((resolve) => web.listen(0, '0.0.0.0', resolve));
  webPort = (web.address() as AddressInfo).port;
  [edgeLike, edgeLikePort] = await listenAtOrAbove(EDGE_HEALTH_PORT);
});

afterAll(async () => {
  for (const client of clients) client.end();
  agent?.kill();
  for (const server of [web, edgeLike]) await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** A server on a free port from `lowest` up, tried at random (other tests run beside this one). */
async function listenAtOrAbove(lowest: number): Promise<[Server, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = lowest + Math.floor(Math.random() * (65535 - lowest));
    const server = createServer((_request, response) => response.end('edge'));
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (listening) return [server, port];
  }
  throw new Error(`no free port from ${lowest} up`);
}

/** Connects as the gateway does: the contract's user and password, the host key pinned. */
function connectAgent(overrides: Partial<ConnectConfig> = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    clients.push(client);
    client.once('ready', () => resolve(client));
    client.once('error', reject);
    client.connect({
      host: '127.0.0.1',
      port: agentPort,
      username: SSH_AGENT_USER,
      password: secret.password,
      hostVerifier: (key: Buffer) => key.toString('base64') === hostKey.publicKey.split(' ')[1],
      readyTimeout: 10_000,
      ...overrides,
    });
  });
}

function collect(channel: ClientChannel): Promise<{ stdout: string; stderr: string; code: number | undefined }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let code: number | undefined;
    channel.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    channel.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    channel.on('exit', (exitCode: number) => (code = exitCode));
    channel.on('close', () => resolve({ stdout, stderr, code }));
  });
}

function exec(client: Client, command: string): Promise<{ stdout: string; stderr: string; code: number | undefined }> {
  return new Promise((resolve, reject) => client.exec(command, (error, channel) => (error ? reject(error) : resolve(collect(channel)))));
}

function forward(client: Client, host: string, port: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) => client.forwardOut('127.0.0.1', 0, host, port, (error, channel) => (error ? reject(error) : resolve(channel))));
}

describe('the SSH agent', () => {
  it('admits the gateway with the password, presenting the host key derived from the seed', async () => {
    // Prepare / Act
    const client = await connectAgent();

    // Assess: the host verifier pinned hostKeyFromSeed(hostKeySeed), as the gateway does
    expect((await exec(client, 'true')).code).toBe(0);
  });

  it('refuses a wrong password, another user and a public key', async () => {
    // Prepare
    const key = readableKeyPair();

    // Act / Assess
    await expect(connectAgent({ password: makeSshAgentSecret().password })).rejects.toThrow(/authentication methods failed/);
    await expect(connectAgent({ username: 'root' })).rejects.toThrow(/authentication methods failed/);
    await expect(connectAgent({ password: undefined, privateKey: key.private })).rejects.toThrow(/authentication methods failed/);
  });

  it('runs a command in the container\'s environment, directory and home, without the agent\'s secret', async () => {
    // Prepare
    const client = await connectAgent();

    // Act
    const result = await exec(client, `echo "$HOME"; pwd; printenv GREETING; printenv ${SSH_AGENT_SECRET_VARIABLE} || echo no-secret; exit 3`);

    // Assess
    expect(result.stdout.split('\n')).toEqual([home, project, 'hello', 'no-secret', '']);
    expect(result.code).toBe(3);
  });

  it('refuses environment the client sends', async () => {
    // Prepare
    const client = await connectAgent();

    // Act: ssh2 sends each variable as an `env` request before the command
    const result = await new Promise<{ stdout: string }>((resolve, reject) =>
      client.exec('printenv LD_PRELOAD || echo unset', { env: { LD_PRELOAD: '/tmp/x.so' } }, (error, channel) => (error ? reject(error) : resolve(collect(channel)))),
    );

    // Assess
    expect(result.stdout).toBe('unset\n');
  });

  it('gives an interactive shell a terminal of the size asked for', async () => {
    // Prepare
    const client = await connectAgent();
    const channel = await new Promise<ClientChannel>((resolve, reject) => client.shell({ rows: 33, cols: 101, term: 'xterm' }, (error, opened) => (error ? reject(error) : resolve(opened))));
    const output = collect(channel);

    // Act
    channel.write('stty size; tty; exit\n');

    // Assess
    const { stdout } = await output;
    expect(stdout).toContain('33 101');
    expect(stdout).toMatch(/\/dev\/pts\/\d+/);
  });

  it("delivers a client's signal to the session's processes", async () => {
    // Prepare
    const client = await connectAgent();
    const channel = await new Promise<ClientChannel>((resolve, reject) => client.exec('echo started; sleep 30', (error, opened) => (error ? reject(error) : resolve(opened))));
    const ended = new Promise<unknown[]>((resolve) => channel.on('exit', (...args: unknown[]) => resolve(args)));
    await new Promise<void>((resolve) => channel.once('data', () => resolve()));

    // Act
    channel.signal('TERM');

    // Assess: ssh2's client reports an exit by signal as (null, 'SIG' + its name, core dumped, message)
    expect((await ended).slice(0, 2)).toEqual([null, 'SIGTERM']);
  });

  it('serves SFTP: an upload lands in the container\'s home', async () => {
    // Prepare
    const client = await connectAgent();
    const sftp = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((error, opened) => (error ? reject(error) : resolve(opened))));

    // Act
    await new Promise<void>((resolve, reject) => sftp.writeFile('uploaded.txt', 'from the client', (error) => (error ? reject(error) : resolve())));

    // Assess: relative to the home, as OpenSSH's sftp-server starts
    expect(readFileSync(join(home, 'uploaded.txt'), 'utf8')).toBe('from the client');
  });

  it('forwards to a server on the task\'s loopback', async () => {
    // Prepare
    const client = await connectAgent();
    const channel = await forward(client, '127.0.0.1', webPort);
    const output = collect(channel);

    // Act
    channel.end(`GET / HTTP/1.0\r\nHost: localhost\r\n\r\n`);

    // Assess
    expect((await output).stdout).toContain('inside the workspace');
  });

  it('refuses forwards to the agent itself, to the edge sidecar and to another host', async () => {
    // Prepare
    const client = await connectAgent();

    // Act / Assess: each target listens, so only the agent's rule can refuse it
    await expect(forward(client, '127.0.0.1', agentPort)).rejects.toThrow(/Channel open failure/);
    await expect(forward(client, '127.0.0.1', edgeLikePort)).rejects.toThrow(/Channel open failure/);
    await expect(forward(client, '127.0.0.2', webPort)).rejects.toThrow(/Channel open failure/);
  });
});

describe('allowedForwardAddress', () => {
  it('allows loopback ports below the edge sidecar\'s, except the agent\'s own', () => {
    expect(allowedForwardAddress('127.0.0.1', 8888)).toBe('127.0.0.1');
    expect(allowedForwardAddress('::1', 8888)).toBe('::1');
    expect(allowedForwardAddress('localhost', 8888)).toBe('127.0.0.1');
    expect(allowedForwardAddress('127.0.0.1', WORKSPACE_SSH_PORT)).toBeUndefined();
    expect(allowedForwardAddress('127.0.0.1', WORKSPACE_SSH_PORT, 40000)).toBeUndefined();
    expect(allowedForwardAddress('127.0.0.1', 40000, 40000)).toBeUndefined();
    expect(allowedForwardAddress('127.0.0.1', EDGE_HEALTH_PORT)).toBeUndefined();
    expect(allowedForwardAddress('127.0.0.1', 65535)).toBeUndefined();
    expect(allowedForwardAddress('127.0.0.1', 0)).toBeUndefined();
    expect(allowedForwardAddress('127.0.0.2', 8888)).toBeUndefined();
    expect(allowedForwardAddress('169.254.170.2', 80)).toBeUndefined();
    expect(allowedForwardAddress('example.com', 80)).toBeUndefined();
  });
});
