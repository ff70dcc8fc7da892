/**
 * SSH into a local workspace with the real OpenSSH client (`ssh`, `sftp`, `ssh-keygen`), against
 * the platform as `npm start` wires it (`startLocalPlatform`, one for the whole file). The client
 * reads no ~/.ssh: its config is /dev/null, its known_hosts a temporary file holding the
 * endpoint's host key (StrictHostKeyChecking=yes), its only identity the key given, BatchMode.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Client, type ClientChannel } from 'ssh2';
import { startLocalPlatform, type LocalPlatform } from '../../../../infra/local/local-platform.ts';
import { freePort } from '../../../acceptance/support/local-server.ts';

const ADMIN_TOKEN = 'ssh-e2e-admin-token';
const SECRET_VALUE = 'the-secret-value-42';
/** The workspace's own command: it notes what it sees, then serves its health check on $PORT. */
const WORKSPACE_COMMAND = `printf '%s\\n' "$HOME" "$(pwd)" > "$HOME/seen-by-command"; exec node -e 'require("http").createServer((q, s) => s.end("ok")).listen(process.env.PORT, "127.0.0.1")'`;
const SSH_TIMEOUT_MS = 20_000;

let platform: LocalPlatform;
let sshPort: number;
let dir: string;
const tokens: Record<string, string> = {};
const keys: Record<string, string> = {};
let workspaceId: string;
let stoppedId: string;
const children: ChildProcess[] = [];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are read field by field against the contract
type Body = any;

async function api(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Body }> {
  const response = await fetch(`${platform.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

/** The client options every call uses: nothing of this machine's ~/.ssh, the endpoint's key pinned. */
function clientOptions(user: string): string[] {
  return [
    '-F', '/dev/null',
    '-i', keys[user]!,
    '-o', 'IdentitiesOnly=yes',
    '-o', 'IdentityAgent=none',
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
    '-o', 'LogLevel=ERROR',
    '-o', 'ConnectTimeout=10',
  ];
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { timeout: SSH_TIMEOUT_MS, env: options.env ?? process.env }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 255) : 0, stdout, stderr });
    });
    // A client that is refused exits before reading its input: the write then fails with EPIPE, which is not the test's outcome.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

function ssh(user: string, login: string, command: string, extra: string[] = [], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Outcome> {
  return run('ssh', [...clientOptions(user), '-p', String(sshPort), ...extra, `${login}@127.0.0.1`, command], options);
}

async function newKey(user: string): Promise<string> {
  const path = join(dir, `id_${user}_${Object.keys(keys).length}`);
  expect((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', user, '-f', path])).code).toBe(0);
  keys[user] = path;
  return readFileSync(`${path}.pub`, 'utf8');
}

/** Waits until the workspace has `status` (vi.waitFor: it works in hooks too). */
function waitForStatus(id: string, status: string): Promise<Body> {
  return vi.waitFor(
    async () => {
      const recipe = (await api('GET', `/api/workspaces/${id}`, ADMIN_TOKEN)).body;
      if (recipe.state?.status !== status) throw new Error(`workspace ${id} is ${recipe.state?.status} (${recipe.state?.reason ?? ''}), not ${status}`);
      return recipe;
    },
    { timeout: 30_000, interval: 200 },
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cassini-ssh-'));
  platform = await startLocalPlatform({ port: 0, sshPort: 0, stopGraceMs: 1_000, services: { probeIntervalMs: 200 } });
  sshPort = platform.ssh!.port;
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${sshPort} ${platform.ssh!.publicKey}\n`);
  await platform.services.identity.bootstrapAdmin(ADMIN_TOKEN);
  for (const username of ['ann', 'bob', 'cat']) {
    expect((await api('POST', '/api/users', ADMIN_TOKEN, { username })).status).toBe(201);
    tokens[username] = (await api('POST', `/api/users/${username}/tokens`, ADMIN_TOKEN, {})).body.token;
    const registered = await api('POST', '/api/user/ssh_keys', tokens[username]!, { name: 'test', public_key: await newKey(username) });
    expect(registered.status).toBe(201);
  }
  expect((await api('PUT', '/api/secrets/api-key', tokens.ann!, { value: SECRET_VALUE })).status).toBe(201);
  const applied = await api('PUT', '/api/recipes', tokens.ann!, {
    type: 'workspace',
    spec: {
      name: 'lab',
      command: WORKSPACE_COMMAND,
      start_ssh: true,
      working_directory: '/home/jovyan/project',
      environment_variables: { GREETING: 'hello' },
      secrets: [{ name: 'api-key', attachment_type: 'environment_variable', location: 'SOME_SECRET' }],
      viewers: ['bob'],
    },
  });
  expect(applied.status, JSON.stringify(applied.body)).toBe(201);
  workspaceId = applied.body.state.id;
  stoppedId = (await api('PUT', '/api/recipes', tokens.ann!, { type: 'workspace', spec: { name: 'idle', command: WORKSPACE_COMMAND, start_ssh: true } })).body.state.id;
  expect((await api('POST', `/api/workspaces/${workspaceId}/start`, tokens.ann!)).status).toBe(200);
  await waitForStatus(workspaceId, 'running');
}, 90_000);

afterAll(async () => {
  for (const child of children) child.kill();
  await platform?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SSH into a local workspace', () => {
  it('shows the connect command in state.ssh, with a login that names the workspace and its owner', async () => {
    const recipe = (await api('GET', `/api/workspaces/${workspaceId}`, tokens.ann!)).body;
    expect(recipe.state.ssh).toBe(`ssh -p ${sshPort} lab.ann@localhost`);
  });

  it("runs a command in the workspace's environment: its HOME, working directory, variables and secrets", async () => {
    // Act
    const outcome = await ssh('ann', 'lab.ann', 'echo $HOME; pwd; printenv SOME_SECRET; printenv GREETING');

    // Assess: what the workspace's own command saw, and its secret.
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
    const [home, cwd] = readFileSync(join(outcome.stdout.split('\n')[0]!, 'seen-by-command'), 'utf8').split('\n');
    expect(outcome.stdout).toBe(`${home}\n${cwd}\n${SECRET_VALUE}\nhello\n`);
    // A workspace's home is a link to its volume: the working directory is home/project, by either path.
    expect(realpathSync(cwd!)).toBe(realpathSync(`${home}/project`));
  });

  it('gives an interactive shell a terminal, and tells it when the window is resized', async () => {
    // Prepare: ssh2's client, which can send a window change when asked to.
    const client = new Client();
    await new Promise<void>((resolve, reject) => {
      client.once('ready', resolve).once('error', reject);
      client.connect({ host: '127.0.0.1', port: sshPort, username: 'lab.ann', privateKey: readFileSync(keys.ann!), hostVerifier: (key: Buffer) => key.toString('base64') === platform.ssh!.publicKey.split(' ')[1] });
    });
    let output = '';

    // Act
    const stream = await new Promise<ClientChannel>((resolve, reject) => client.shell({ rows: 30, cols: 100, term: 'xterm' }, (error, channel) => (error ? reject(error) : resolve(channel))));
    stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
    stream.write('tty; stty size\n');
    await expect.poll(() => output, { timeout: 10_000, message: 'the first size' }).toContain('30 100');
    stream.setWindow(40, 120, 0, 0);
    await expect.poll(() => (stream.write('stty size\n'), output), { timeout: 10_000, interval: 300, message: 'the size after the resize' }).toContain('40 120');
    stream.write('exit 7\n');
    const code = await new Promise<number>((resolve) => stream.once('exit', (exitCode: number) => resolve(exitCode)));
    client.end();

    // Assess
    expect(output).toMatch(/\/dev\/pts\/\d+/);
    expect(code).toBe(7);
  });

  it("uploads with sftp into the workspace's home, owned by the workspace's user", async () => {
    // Prepare
    const local = join(dir, 'upload.txt');
    writeFileSync(local, 'uploaded over sftp\n');
    const batch = join(dir, 'batch');
    writeFileSync(batch, `put ${local} uploaded.txt\nls -l\n`);

    // Act
    const outcome = await run('sftp', [...clientOptions('ann'), '-P', String(sshPort), '-b', batch, 'lab.ann@127.0.0.1']);

    // Assess
    expect(outcome.code, outcome.stderr).toBe(0);
    const home = (await ssh('ann', 'lab.ann', 'echo $HOME')).stdout.trim();
    expect(readFileSync(join(home, 'uploaded.txt'), 'utf8')).toBe('uploaded over sftp\n');
    const seenInside = await ssh('ann', 'lab.ann', 'cat ~/uploaded.txt; stat -c %u ~/uploaded.txt; id -u');
    const [content, fileUid, sessionUid] = seenInside.stdout.trim().split('\n');
    expect(content).toBe('uploaded over sftp');
    expect(fileUid).toBe(sessionUid);
  });

  it('forwards a local port (-L) to a web server started inside the workspace', async () => {
    // Prepare: a server inside the workspace, on loopback, started over SSH.
    const inside = await freePort();
    const started = await ssh('ann', 'lab.ann', `nohup node -e 'require("http").createServer((q, s) => s.end("from inside " + process.env.GREETING)).listen(${inside}, "127.0.0.1")' >/dev/null 2>&1 & echo started`);
    expect(started.stdout).toBe('started\n');
    const local = await freePort();

    // Act
    const tunnel = spawn('ssh', [...clientOptions('ann'), '-p', String(sshPort), '-N', '-o', 'ExitOnForwardFailure=yes', '-L', `${local}:127.0.0.1:${inside}`, 'lab.ann@127.0.0.1'], { stdio: 'ignore' });
    children.push(tunnel);

    // Assess
    await expect
      .poll(async () => fetch(`http://127.0.0.1:${local}/`).then((r) => r.text(), () => 'not yet'), { timeout: 15_000, interval: 200, message: 'the forwarded server to answer' })
      .toBe('from inside hello');
    tunnel.kill();
  });

  it("refuses a forward to anything the workspace does not listen on itself: the API, another host", async () => {
    const request = 'GET /api/status HTTP/1.0\r\n\r\n';
    const toApi = await ssh('ann', 'lab.ann', '', ['-W', `127.0.0.1:${platform.port}`], { input: request });
    const toSsh = await ssh('ann', 'lab.ann', '', ['-W', `localhost:${sshPort}`]);
    const elsewhere = await ssh('ann', 'lab.ann', '', ['-W', '10.0.0.1:22']);
    for (const outcome of [toApi, toSsh, elsewhere]) {
      expect(outcome.code).not.toBe(0);
      expect(outcome.stdout).not.toContain('"status"');
      expect(outcome.stderr).toMatch(/open failed|forwarding failed/);
    }
  });

  it('refuses remote forwarding (-R), agent forwarding and environment sent by the client', async () => {
    // Act
    const remote = await ssh('ann', 'lab.ann', 'true', ['-o', 'ExitOnForwardFailure=yes', '-R', '0:127.0.0.1:9']);
    const agentSocket = join(dir, 'agent.sock');
    const env = { ...process.env, SSH_AUTH_SOCK: agentSocket, LD_PRELOAD: '/tmp/evil.so' };
    const injected = await ssh('ann', 'lab.ann', 'printenv SSH_AUTH_SOCK LD_PRELOAD SATURN_BASE_URL; printenv SOME_SECRET; echo end', ['-A', '-o', 'SendEnv=LD_PRELOAD', '-o', 'SetEnv=SOME_SECRET=forged', '-o', 'ForwardX11=yes'], { env });

    // Assess
    expect(remote.code).toBe(255);
    expect(remote.stderr).toMatch(/remote port forwarding failed/);
    expect(injected.stdout).not.toContain(agentSocket);
    expect(injected.stdout).not.toContain('evil');
    expect(injected.stdout).toContain(`${SECRET_VALUE}\nend\n`);
  });

  it("refuses a viewer, another user, someone else's key, and a login naming a workspace that is not the key owner's to use", async () => {
    const viewer = await ssh('bob', 'lab.ann', 'echo in');
    const stranger = await ssh('cat', 'lab.ann', 'echo in');
    const ownLoginOtherKey = await ssh('cat', 'lab.cat', 'echo in');
    for (const outcome of [viewer, stranger, ownLoginOtherKey]) {
      expect(outcome.code).toBe(255);
      expect(outcome.stdout).toBe('');
      expect(outcome.stderr).toMatch(/Permission denied \(publickey\)/);
    }
  });

  it('lets a member of an owning group in', async () => {
    // Prepare: a group workspace; cat is in the group, bob is not.
    expect((await api('POST', '/api/users', ADMIN_TOKEN, { username: 'dan', groups: ['team'] })).status).toBe(201);
    const danToken = (await api('POST', '/api/users/dan/tokens', ADMIN_TOKEN, {})).body.token;
    expect((await api('POST', '/api/user/ssh_keys', danToken, { name: 'dan', public_key: await newKey('dan') })).status).toBe(201);
    const team = await api('PUT', '/api/recipes', ADMIN_TOKEN, { type: 'workspace', spec: { name: 'shared', owner: 'team', command: WORKSPACE_COMMAND, start_ssh: true } });
    expect(team.status).toBe(201);
    await api('POST', `/api/workspaces/${team.body.state.id}/start`, ADMIN_TOKEN);
    await waitForStatus(team.body.state.id, 'running');

    // Act
    const member = await ssh('dan', 'shared.team', 'echo in; echo $PORT');
    const outsider = await ssh('bob', 'shared.team', 'echo in');
    const [, teamPort] = member.stdout.split('\n');
    const intoAnother = await ssh('ann', 'lab.ann', '', ['-W', `127.0.0.1:${teamPort}`], { input: 'GET / HTTP/1.0\r\n\r\n' });

    // Assess: in; the outsider is not; and ann's workspace cannot reach the team's server, which listens on the same loopback.
    expect(member.stdout).toMatch(/^in\n\d+\n$/);
    expect(outsider.code).toBe(255);
    expect(intoAnother.code).not.toBe(0);
    expect(intoAnother.stdout).toBe('');
    await api('POST', `/api/workspaces/${team.body.state.id}/stop`, ADMIN_TOKEN);
  });

  it('tells the user to start a stopped workspace', async () => {
    const outcome = await ssh('ann', 'idle.ann', 'echo in');
    expect(outcome.code).toBe(1);
    expect(outcome.stdout).toBe('');
    expect(outcome.stderr).toContain('workspace idle of ann is stopped');
    expect(outcome.stderr).toContain(`/api/workspaces/${stoppedId}/start`);
  });

  it('refuses a removed key on the next connection', async () => {
    // Prepare
    const extra = await newKey('ann');
    const added = await api('POST', '/api/user/ssh_keys', tokens.ann!, { name: 'second', public_key: extra });
    expect((await ssh('ann', 'lab.ann', 'echo in')).stdout).toBe('in\n');

    // Act
    expect((await api('DELETE', `/api/user/ssh_keys/${added.body.id}`, tokens.ann!)).status).toBe(204);
    const after = await ssh('ann', 'lab.ann', 'echo in');

    // Assess
    expect(after.code).toBe(255);
    expect(after.stderr).toMatch(/Permission denied/);
  });

  it('records each session on the workspace: who, from where, when', async () => {
    await expect
      .poll(
        async () => {
          const events = (await api('GET', `/api/workspaces/${workspaceId}/events`, tokens.ann!)).body.events as Body[];
          return events.filter((e) => e.type === 'SshSessionEnded').length;
        },
        { timeout: 10_000, message: 'the sessions to be recorded as ended' },
      )
      .toBeGreaterThan(0);
    const events = (await api('GET', `/api/workspaces/${workspaceId}/events`, tokens.ann!)).body.events as Body[];
    const started = events.find((e) => e.type === 'SshSessionStarted');
    expect(started).toMatchObject({ actor: 'ann', at: expect.any(String), data: { user: 'ann', from: expect.stringMatching(/^127\.0\.0\.1:\d+$/), key_fingerprint: expect.stringMatching(/^SHA256:/) } });
    expect(events.some((e) => e.type === 'SshSessionEnded' && e.data.session_id === started.data.session_id)).toBe(true);
    expect(events.filter((e) => e.type.startsWith('SshSession')).every((e) => e.data.user === 'ann' || e.data.user === 'dan')).toBe(true);
  });
});
