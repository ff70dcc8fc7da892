/**
 * The two sides of SSH on AWS run together: the gateway (in process) in front of the real SSH
 * agent (its one-file bundle, a child process standing for a workspace's main container), with
 * OpenSSH as the user's client through a relay that sends the load balancer's proxy header.
 * The platform's answers are given (gateway-server.test.ts covers them against the event store):
 * what is under test is the contract between gateway and agent, end to end.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAgentProcess } from '../support/ssh-agent-process.ts';
import { startSshGateway, type RunningSshGateway } from '../../../../infra/aws/ssh-gateway/gateway-server.ts';
import { hostKeyFromSeed } from '../../../../infra/aws/ssh-gateway/host-key-from-seed.ts';
import { SSH_AGENT_SECRET_VARIABLE } from '../../../../shared/adapters/aws/ssh/ssh-agent-contract.ts';
import { makeSshAgentSecret } from '../../../../shared/adapters/aws/ssh/ssh-agent-secrets.ts';
import type { GatewayAdmission } from '../../../../shared/domain/ssh/ssh-admission-protocol.ts';
import { readableKeyPair } from '../../../support/ssh-key-pair.ts';

const RELAY = fileURLToPath(new URL('../fixtures/proxy-v2-relay.mjs', import.meta.url));
const GATEWAY_KEY = hostKeyFromSeed('the-gateway-and-agent-test-seed-long-enough');
const secret = makeSshAgentSecret();
const userKey = readableKeyPair();
const admission: GatewayAdmission = {
  username: 'ann',
  workspace: { id: 'c'.repeat(32), name: 'lab', owner: 'ann', status: 'running' },
  publicKey: userKey.public.split(' ').slice(0, 2).join(' '),
  fingerprint: 'SHA256:test',
};

let dir: string;
let home: string;
let agent: ChildProcess;
let agentPort: number;
let gateway: RunningSshGateway;
const sessions: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cassini-gateway-agent-'));
  ({ child: agent, port: agentPort, home } = await startAgentProcess(dir, secret));
  gateway = await startSshGateway({
    port: 0,
    host: '127.0.0.1',
    hostKey: GATEWAY_KEY.privateKey,
    admissions: {
      admit: async (login, key) => (login === 'lab.ann' && key === userKey.public.split(' ')[1] ? admission : undefined),
      sessionStarted: async (_login, _key, session) => (sessions.push(`started ${session.from}`), admission),
      sessionEnded: async (_login, _username, session) => void sessions.push(`ended ${session.from}`),
    },
    agents: { find: async () => ({ host: '127.0.0.1', port: agentPort, password: secret.password, hostKey: hostKeyFromSeed(secret.hostKeySeed).publicKey }) },
    log: () => undefined,
  });
  writeFileSync(join(dir, 'id_ann'), userKey.private);
  chmodSync(join(dir, 'id_ann'), 0o600);
  writeFileSync(join(dir, 'known_hosts'), `cassini-gateway ${GATEWAY_KEY.publicKey}\n`);
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  agent?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function openssh(program: 'ssh' | 'sftp', args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const options = [
    '-F', 'none', '-i', join(dir, 'id_ann'), '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`, '-o', 'HostKeyAlias=cassini-gateway',
    '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', `ProxyCommand=${process.execPath} ${RELAY} ${gateway.port} 192.0.2.10 52000`,
  ];
  return new Promise((resolve) => {
    const child = execFile(program, [...options, ...args], { timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 255) : 0, stdout, stderr }),
    );
    // A client that exits before reading its input (refused) makes the write fail with EPIPE, which is not the test's outcome.
    child.stdin!.on('error', () => undefined);
    if (input !== undefined) child.stdin!.end(input);
  });
}

describe('the gateway in front of the real agent', () => {
  it('runs a command in the workspace\'s home, directory and environment, without the agent\'s secret, with its exit status', async () => {
    const result = await openssh('ssh', ['lab.ann@cassini-gateway', `echo "$HOME"; pwd; printenv GREETING; printenv ${SSH_AGENT_SECRET_VARIABLE} || echo no-secret; exit 7`]);
    expect(result.code, result.stderr).toBe(7);
    expect(result.stdout.trim().split('\n')).toEqual([home, join(home, 'project'), 'hello', 'no-secret']);
    await vi.waitFor(() => expect(sessions, 'the session recorded as started and ended').toEqual(expect.arrayContaining(['started 192.0.2.10:52000', 'ended 192.0.2.10:52000'])));
  });

  it('uploads a file over SFTP into the workspace', async () => {
    writeFileSync(join(dir, 'notes.txt'), 'uploaded through the gateway\n');
    const result = await openssh('sftp', ['-b', '-', 'lab.ann@cassini-gateway'], `put ${join(dir, 'notes.txt')} ${join(home, 'notes.txt')}\n`);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(home, 'notes.txt'), 'utf8')).toBe('uploaded through the gateway\n');
  });
});
