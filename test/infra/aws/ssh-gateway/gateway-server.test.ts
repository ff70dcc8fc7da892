/**
 * The SSH gateway end to end, in process: real ssh2 clients (and OpenSSH, through a relay that
 * sends the load balancer's proxy header) log in to the gateway, which asks the admission
 * function (its handler's core over an embedded DynamoDB, reached through a mocked Lambda
 * Invoke), finds the workspace's task (mocked ECS) and its agent secret (mocked Secrets
 * Manager), and forwards into a fake agent: an ssh2 server in this test that speaks the
 * contract (user `cassini-gateway`, the secret's password, the host key from its seed) and
 * records every request it receives.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { connect as connectTcp, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import ssh2, { type ClientChannel, type Connection } from 'ssh2';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../../../infra/local/embedded-dynamodb.ts';
import { startSshGateway, type RunningSshGateway } from '../../../../infra/aws/ssh-gateway/gateway-server.ts';
import { lambdaAdmissions } from '../../../../infra/aws/ssh-gateway/admission-client.ts';
import { ecsWorkspaceAgents } from '../../../../infra/aws/ssh-gateway/workspace-agents.ts';
import { hostKeyFromSeed } from '../../../../infra/aws/ssh-gateway/host-key-from-seed.ts';
import { answerSshAdmission, sshGateOver } from '../../../../shared/app/ssh-admission.ts';
import { SSH_AGENT_USER } from '../../../../shared/adapters/aws/ssh/ssh-agent-contract.ts';
import { systemClock, systemRandom } from '../../../../shared/adapters/node-platform.ts';
import type { User } from '../../../../shared/domain/identity/principal-decider.ts';
import { dynamoServices } from '../../../app/support/dynamo-services.ts';
import { readableKeyPair } from '../../../support/ssh-key-pair.ts';

const CLUSTER = 'cassini-cluster';
const FUNCTION = 'cassini-ssh-admission';
const PASSWORD = 'p'.repeat(43);
const AGENT_SEED = 's'.repeat(43);
const GATEWAY_KEY = hostKeyFromSeed('the-gateway-test-seed-long-enough-for-a-key');
const RELAY = fileURLToPath(new URL('../fixtures/proxy-v2-relay.mjs', import.meta.url));

const ecs = mockClient(ECSClient);
const secrets = mockClient(SecretsManagerClient);
const lambda = mockClient(LambdaClient);

const users: Record<string, User> = {
  ann: { username: 'ann', email: null, groups: [], admin: false },
  cat: { username: 'cat', email: null, groups: ['team'], admin: false },
  root: { username: 'root', email: null, groups: [], admin: true },
  vic: { username: 'vic', email: null, groups: [], admin: false },
  bob: { username: 'bob', email: null, groups: [], admin: false },
};
const keys = Object.fromEntries(Object.keys(users).map((name) => [name, readableKeyPair()]));
const spareKey = readableKeyPair();

let dynamo: EmbeddedDynamo;
let platform: ReturnType<typeof dynamoServices>;
let gateway: RunningSshGateway;
let agent: ssh2.Server;
let agentPort: number;
let dir: string;
/** Workspace ids by login; `idle` has no running task, `forged` a secret whose seed is not the agent's. */
const workspaces: Record<string, string> = {};
/** What the fake agent was asked, in order. */
const agentLog: string[] = [];

/** The fake agent: the contract's side of the task, recording each request and answering in kind. */
function startFakeAgent(): ssh2.Server {
  return new ssh2.Server({ hostKeys: [hostKeyFromSeed(AGENT_SEED).privateKey] }, (client: Connection) => {
    client.on('authentication', (ctx) => {
      agentLog.push(`auth ${ctx.username} ${ctx.method}`);
      if (ctx.method === 'password' && ctx.username === SSH_AGENT_USER && ctx.password === PASSWORD) return ctx.accept();
      ctx.reject(['password']);
    });
    client.on('session', (accept) => {
      const session = accept();
      session.on('pty', (ok, _no, info) => (agentLog.push(`pty ${info.cols}x${info.rows} ${info.term}`), ok?.()));
      session.on('window-change', (ok, _no, info) => (agentLog.push(`window-change ${info.cols}x${info.rows}`), ok?.()));
      session.on('env', (ok, _no, info) => (agentLog.push(`env ${info.key}`), ok?.()));
      session.on('auth-agent', (ok) => (agentLog.push('auth-agent'), ok?.()));
      session.on('x11', (ok) => (agentLog.push('x11'), ok?.()));
      session.on('signal', (ok, _no, info) => (agentLog.push(`signal ${info.name}`), ok?.()));
      session.on('exec', (ok, _no, info) => {
        agentLog.push(`exec ${info.command}`);
        const channel = ok();
        if (info.command === 'wait-for-signal') return; // ends when the client closes
        channel.write(`ran: ${info.command}\n`);
        channel.stderr.write('from stderr\n');
        channel.exit(info.command === 'exit 3' ? 3 : 0);
        channel.end();
      });
      session.on('subsystem', (ok, _no, info) => {
        agentLog.push(`subsystem ${info.name}`);
        const channel = ok();
        channel.pipe(channel);
      });
    });
    client.on('tcpip', (accept, _reject, info) => {
      agentLog.push(`tcpip ${info.destIP}:${info.destPort}`);
      const channel = accept();
      channel.end(`forwarded to ${info.destIP}:${info.destPort}`);
    });
    client.on('request', (_ok, reject, name) => (agentLog.push(`request ${name}`), reject?.()));
    client.on('error', () => undefined);
  });
}

function proxyHeader(address: string, port: number): Buffer {
  const body = Buffer.alloc(12);
  Buffer.from(address.split('.').map(Number)).copy(body, 0);
  Buffer.from([10, 0, 0, 9]).copy(body, 4);
  body.writeUInt16BE(port, 8);
  body.writeUInt16BE(2222, 10);
  return Buffer.concat([Buffer.from('0d0a0d0a000d0a515549540a', 'hex'), Buffer.from([0x21, 0x11, 0x00, 12]), body]);
}

/** A socket to the gateway that has sent the load balancer's header for `from`. */
function proxiedSocket(from = '203.0.113.7:50123'): Promise<Socket> {
  const [address, port] = from.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const socket = connectTcp(gateway.port, '127.0.0.1', () => {
      socket.write(proxyHeader(address, Number(port)));
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

async function login(username: string, who: string, options: { from?: string; key?: string } = {}): Promise<ssh2.Client> {
  const sock = await proxiedSocket(options.from);
  const client = new ssh2.Client();
  return new Promise((resolve, reject) => {
    client.once('ready', () => resolve(client)).once('error', reject);
    client.connect({ sock, username, privateKey: options.key ?? keys[who]!.private, hostVerifier: (key: Buffer) => key.equals(Buffer.from(GATEWAY_KEY.publicKey.split(' ')[1]!, 'base64')) });
  });
}

function run(client: ssh2.Client, command: string, options: ssh2.ExecOptions = {}): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) =>
    client.exec(command, options, (error, stream) => {
      if (error) return reject(error);
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      stream.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      stream.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      stream.once('exit', (exitCode: number | null) => (code = exitCode));
      stream.once('close', () => resolve({ stdout, stderr, code }));
    }),
  );
}

function readAll(channel: ClientChannel): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    channel.on('data', (chunk: Buffer) => (text += chunk.toString()));
    channel.once('close', () => resolve(text));
  });
}

async function sessionEvents(login: string) {
  const owner = login.split('.')[1]!;
  const { events } = await platform.services.resources.events(users.root!, 'workspaces', workspaces[login]!, 0, 200);
  return events.filter((event) => event.type.startsWith('SshSession')).map((event) => ({ ...event, owner, data: event.data as Record<string, string> }));
}

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  platform = dynamoServices(dynamo);
  const { identity, sshKeys, resources } = platform.services;
  for (const user of Object.values(users)) {
    await identity.syncDirectoryUser(user);
    await sshKeys.add(user, user.username, { name: 'laptop', public_key: keys[user.username]!.public });
  }
  await sshKeys.add(users.ann!, 'ann', { name: 'spare', public_key: spareKey.public });
  const apply = async (actor: User, spec: Record<string, unknown>, owner: string) => {
    const { recipe } = await resources.apply(actor, { type: 'workspace', spec: { start_ssh: true, ...spec } }, { createOnly: true });
    workspaces[`${spec.name as string}.${owner}`] = recipe.state.id as string;
  };
  await apply(users.ann!, { name: 'lab', viewers: [{ name: 'vic' }] }, 'ann');
  await apply(users.ann!, { name: 'idle' }, 'ann');
  await apply(users.ann!, { name: 'forged' }, 'ann');
  await apply(users.cat!, { name: 'data', owner: 'team' }, 'team');

  agent = startFakeAgent();
  await new Promise<void>((resolve) => agent.listen(0, '127.0.0.1', () => resolve()));
  agentPort = (agent.address() as AddressInfo).port;

  // ECS: every workspace but `idle` runs one task, at the fake agent's address.
  ecs.on(ListTasksCommand).callsFake(async (input: { serviceName: string }) => ({
    taskArns: input.serviceName === `cassini-${workspaces['idle.ann']}` ? [] : [`arn:aws:ecs:eu-west-1:123456789012:task/${CLUSTER}/${input.serviceName.slice(-8)}`],
  }));
  ecs.on(DescribeTasksCommand).callsFake(async (input: { tasks: string[] }) => ({
    tasks: input.tasks.map((taskArn) => ({ taskArn, lastStatus: 'RUNNING', attachments: [{ type: 'ElasticNetworkInterface', details: [{ name: 'subnetId', value: 'subnet-1' }, { name: 'privateIPv4Address', value: '127.0.0.1' }] }] })),
  }));
  secrets.on(GetSecretValueCommand).callsFake(async (input: { SecretId: string }) => ({
    SecretString: JSON.stringify({ password: PASSWORD, hostKeySeed: input.SecretId.endsWith(workspaces['forged.ann']!) ? 'f'.repeat(43) : AGENT_SEED }),
  }));
  // Lambda: the admission function's core, as its handler runs it, over the embedded DynamoDB.
  const gate = sshGateOver({ store: platform.store, clock: systemClock, random: systemRandom });
  lambda.on(InvokeCommand).callsFake(async (input: { Payload: Uint8Array }) => {
    try {
      const answer = await answerSshAdmission(gate, JSON.parse(new TextDecoder().decode(input.Payload)));
      return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(answer)) };
    } catch (error) {
      return { StatusCode: 200, FunctionError: 'Unhandled', Payload: new TextEncoder().encode(JSON.stringify({ errorMessage: String(error) })) };
    }
  });

  gateway = await startSshGateway({
    port: 0,
    host: '127.0.0.1',
    hostKey: GATEWAY_KEY.privateKey,
    admissions: lambdaAdmissions(new LambdaClient({ region: 'eu-west-1' }), FUNCTION),
    agents: ecsWorkspaceAgents({ ecs: new ECSClient({ region: 'eu-west-1' }), secrets: new SecretsManagerClient({ region: 'eu-west-1' }), cluster: CLUSTER, agentPort }),
    log: () => undefined,
    headerTimeoutMs: 1_000,
  });
  dir = mkdtempSync(join(tmpdir(), 'cassini-gateway-'));
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await new Promise<void>((resolve) => (agent ? agent.close(() => resolve()) : resolve()));
  await dynamo?.close();
  ecs.restore();
  secrets.restore();
  lambda.restore();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the SSH gateway', () => {
  it('runs a command in the workspace\'s agent for its owner, with output, errors and exit status passed through', async () => {
    // Act
    const client = await login('lab.ann', 'ann');
    const result = await run(client, 'exit 3');
    client.end();

    // Assess
    expect(result).toEqual({ stdout: 'ran: exit 3\n', stderr: 'from stderr\n', code: 3 });
    expect(agentLog).toContain(`auth ${SSH_AGENT_USER} password`);
    expect(agentLog).toContain('exec exit 3');
  });

  it('asks AWS exactly: the function to admit, the workspace service\'s running tasks in the cluster, the workspace\'s agent secret', async () => {
    // Prepare
    ecs.resetHistory();
    secrets.resetHistory();
    lambda.resetHistory();
    const id = workspaces['lab.ann']!;

    // Act
    const client = await login('lab.ann', 'ann');
    await run(client, 'true');
    client.end();

    // Assess
    expect(ecs.commandCalls(ListTasksCommand).map((c) => c.args[0].input)).toEqual([{ cluster: CLUSTER, serviceName: `cassini-${id}`, desiredStatus: 'RUNNING' }]);
    expect(ecs.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input)).toEqual([{ cluster: CLUSTER, tasks: [`arn:aws:ecs:eu-west-1:123456789012:task/${CLUSTER}/${`cassini-${id}`.slice(-8)}`] }]);
    expect(secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: `cassini/ann/_ssh-${id}` }]);
    const invokes = lambda.commandCalls(InvokeCommand).map((c) => c.args[0].input);
    expect(invokes.every((input) => input.FunctionName === FUNCTION && input.InvocationType === 'RequestResponse')).toBe(true);
    const requests = invokes.map((input) => JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array)) as { kind: string; login: string; keyBlob?: string });
    expect(requests.map((r) => r.kind)).toContain('admit');
    expect(requests.find((r) => r.kind === 'session-started')).toMatchObject({ login: 'lab.ann', keyBlob: keys.ann!.public.split(' ')[1], session: { from: '203.0.113.7:50123' } });
    await vi.waitFor(() => expect(lambda.commandCalls(InvokeCommand).map((c) => JSON.parse(new TextDecoder().decode(c.args[0].input.Payload as Uint8Array)).kind)).toContain('session-ended'));
  });

  it('admits a member of the owning group and an admin; refuses a viewer, another user and a key of someone else\'s', async () => {
    const member = await login('data.team', 'cat');
    expect((await run(member, 'whoami')).stdout).toBe('ran: whoami\n');
    member.end();
    const admin = await login('lab.ann', 'root');
    expect((await run(admin, 'whoami')).code).toBe(0);
    admin.end();

    await expect(login('lab.ann', 'vic')).rejects.toThrow(/authentication methods failed/);
    await expect(login('lab.ann', 'bob')).rejects.toThrow(/authentication methods failed/);
    await expect(login('data.team', 'ann')).rejects.toThrow(/authentication methods failed/);
  });

  it('refuses a key on the next connection once it is removed', async () => {
    // Prepare
    const first = await login('lab.ann', 'ann', { key: spareKey.private });
    first.end();
    const [spare] = (await platform.services.sshKeys.list(users.ann!, 'ann')).filter((k) => k.name === 'spare');

    // Act
    await platform.services.sshKeys.remove(users.ann!, 'ann', spare!.id);

    // Assess
    await expect(login('lab.ann', 'ann', { key: spareKey.private })).rejects.toThrow(/authentication methods failed/);
  });

  it('refuses a public key offered with a signature the registered key does not verify', async () => {
    // The client claims ann's public key but signs with another: the gateway checks the signature itself.
    const sock = await proxiedSocket();
    const client = new ssh2.Client();
    const refused = new Promise((_resolve, reject) => client.once('error', reject));
    client.connect({
      sock,
      username: 'lab.ann',
      authHandler: [{ type: 'publickey', username: 'lab.ann', key: forgedKey(keys.ann!.public, keys.bob!.private) }],
    } as unknown as ssh2.ConnectConfig);
    await expect(refused).rejects.toThrow(/authentication methods failed/);
  });

  it('records the session\'s start and end on the workspace with the user, the key\'s fingerprint and the address the proxy header gave', async () => {
    // Act
    const client = await login('data.team', 'cat', { from: '198.51.100.23:40001' });
    await run(client, 'true');
    client.end();

    // Assess
    await vi.waitFor(async () => expect((await sessionEvents('data.team')).filter((e) => e.data.from === '198.51.100.23:40001').map((e) => e.type)).toEqual(['SshSessionStarted', 'SshSessionEnded']), { timeout: 10_000 });
    const [started, ended] = (await sessionEvents('data.team')).filter((e) => e.data.from === '198.51.100.23:40001');
    expect(started!.data).toMatchObject({ user: 'cat', from: '198.51.100.23:40001', key_fingerprint: expect.stringMatching(/^SHA256:/) });
    expect(ended!.data.session_id).toBe(started!.data.session_id);
  });

  it('answers a workspace without a running task with how to start it, and exit status 1', async () => {
    const client = await login('idle.ann', 'ann');
    const result = await run(client, 'echo in');
    client.end();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('workspace idle of ann is');
    expect(result.stderr).toContain(`POST /api/workspaces/${workspaces['idle.ann']}/start`);
  });

  it('does not forward to an agent whose host key is not the one its secret\'s seed gives', async () => {
    const before = agentLog.filter((line) => line.startsWith('exec')).length;
    const client = await login('forged.ann', 'ann');
    const result = await run(client, 'echo secret-work');
    client.end();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('could not be reached');
    expect(agentLog.filter((line) => line.startsWith('exec')).length).toBe(before);
  });

  it('passes a terminal, its size changes and signals through; SFTP as a subsystem; -L to the task\'s loopback', async () => {
    const client = await login('lab.ann', 'ann');
    // A terminal, resized, then a signal.
    const channel = await new Promise<ClientChannel>((resolve, reject) => client.exec('wait-for-signal', { pty: { rows: 40, cols: 120, term: 'xterm-256color' } }, (error, stream) => (error ? reject(error) : resolve(stream))));
    await vi.waitFor(() => expect(agentLog).toContain('exec wait-for-signal'));
    channel.setWindow(50, 160, 0, 0);
    channel.signal('INT');
    await vi.waitFor(() => expect(agentLog).toEqual(expect.arrayContaining(['pty 120x40 xterm-256color', 'window-change 160x50', 'signal INT'])));
    channel.close();
    // The SFTP subsystem: bytes reach the agent's subsystem channel and come back.
    const sftp = await new Promise<ClientChannel>((resolve, reject) => client.subsys('sftp', (error, stream) => (error ? reject(error) : resolve(stream))));
    const echoed = readAll(sftp);
    sftp.end('sftp bytes');
    expect(await echoed).toBe('sftp bytes');
    expect(agentLog).toContain('subsystem sftp');
    // -L: to the task's loopback, through the agent.
    const tunnel = await new Promise<ClientChannel>((resolve, reject) => client.forwardOut('127.0.0.1', 40000, '127.0.0.1', 8888, (error, stream) => (error ? reject(error) : resolve(stream))));
    expect(await readAll(tunnel)).toBe('forwarded to 127.0.0.1:8888');
    client.end();
  });

  it('refuses -L beyond the task\'s loopback, to the agent\'s own port and to the edge sidecar\'s, before asking the agent', async () => {
    const client = await login('lab.ann', 'ann');
    const forward = (host: string, port: number) => new Promise<void>((resolve, reject) => client.forwardOut('127.0.0.1', 40000, host, port, (error) => (error ? reject(error) : resolve())));
    await expect(forward('10.0.0.5', 8888)).rejects.toThrow();
    await expect(forward('127.0.0.1', 22022)).rejects.toThrow();
    await expect(forward('127.0.0.1', 61000)).rejects.toThrow();
    client.end();
    expect(agentLog.filter((line) => line.startsWith('tcpip ') && !line.endsWith(':8888'))).toEqual([]);
  });

  it('refuses -R, SetEnv and agent forwarding from OpenSSH, and none of them reaches the agent', async () => {
    // Prepare: OpenSSH, through a relay that sends the load balancer's header first.
    const keyFile = join(dir, 'id_ann');
    writeFileSync(keyFile, ssh2.utils.parseKey(keys.ann!.private) instanceof Error ? '' : keys.ann!.private);
    chmodSync(keyFile, 0o600);
    writeFileSync(join(dir, 'known_hosts'), `cassini-gateway ${GATEWAY_KEY.publicKey}\n`);
    const before = agentLog.length;
    const ssh = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(
          'ssh',
          [
            '-F', 'none', '-i', keyFile, '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`, '-o', 'HostKeyAlias=cassini-gateway',
            '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', `ProxyCommand=${process.execPath} ${RELAY} ${gateway.port} 192.0.2.44 51000`,
            ...args,
          ],
          { timeout: 20_000 },
          (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 255) : 0, stdout, stderr }),
        ),
      );

    // Act
    const withEnvAndAgent = await ssh(['-A', '-o', 'SetEnv=LD_PRELOAD=/tmp/x.so', 'lab.ann@cassini-gateway', 'printenv']);
    const remote = await ssh(['-o', 'ExitOnForwardFailure=yes', '-R', '0:127.0.0.1:22', 'lab.ann@cassini-gateway', 'true']);

    // Assess
    expect(withEnvAndAgent.stdout, withEnvAndAgent.stderr).toBe('ran: printenv\n');
    expect(remote.code, remote.stderr).not.toBe(0);
    expect(remote.stderr).toMatch(/remote port forwarding failed/i);
    const reached = agentLog.slice(before);
    expect(reached).toContain('exec printenv');
    expect(reached.filter((line) => /^(env|auth-agent|x11|request)/.test(line))).toEqual([]);
  });

  it('refuses a locked user, who was admitted before', async () => {
    // Prepare
    const before = await login('data.team', 'cat');
    before.end();

    // Act
    await platform.services.identity.updateUser(users.root!, 'cat', (user) => ({ ...user, locked: true }));

    // Assess
    await expect(login('data.team', 'cat')).rejects.toThrow(/authentication methods failed/);
  });

  it('closes a connection that does not start with the load balancer\'s proxy header', async () => {
    const client = new ssh2.Client();
    const failed = new Promise((_resolve, reject) => client.once('error', reject));
    client.connect({ host: '127.0.0.1', port: gateway.port, username: 'lab.ann', privateKey: keys.ann!.private, readyTimeout: 5_000 });
    await expect(failed).rejects.toThrow();
  });
});

/** A publickey auth that presents `publicKey` but signs with `signingPrivateKey`. */
function forgedKey(publicKey: string, signingPrivateKey: string) {
  const claimed = ssh2.utils.parseKey(publicKey);
  const signer = ssh2.utils.parseKey(signingPrivateKey);
  if (claimed instanceof Error || signer instanceof Error) throw new Error('test keys do not parse');
  const forged = Object.create(claimed) as typeof claimed;
  forged.sign = (data: Buffer, algo?: string) => signer.sign(data, algo);
  forged.isPrivateKey = () => true;
  return forged;
}
