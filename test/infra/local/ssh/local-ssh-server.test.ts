/**
 * The local SSH endpoint against ssh2's client, in process, with the gate and the workspaces
 * given: what it does with an admitted session (activity for auto_shutoff while it is open, its
 * start and end recorded with the same id and address) and with a workspace that is not running.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Client } from 'ssh2';
import { startLocalSshServer, type LocalSshServer } from '../../../../infra/local/ssh/local-ssh-server.ts';
import { loadOrCreateHostKey } from '../../../../infra/local/ssh/ssh-host-key.ts';
import type { SshAdmission } from '../../../../shared/app/ssh-gate.ts';
import type { LiveResource } from '../../../../shared/domain/resource/resource-decider.ts';
import { readableKeyPair } from '../../../support/ssh-key-pair.ts';

const key = readableKeyPair();
const blob = key.public.split(' ')[1]!;
const workspace = { id: 'a'.repeat(32), type: 'workspace', owner: 'ann', name: 'lab', status: 'stopped', spec: { start_ssh: true } } as unknown as LiveResource;
const admission: SshAdmission = { user: { username: 'ann', email: null, groups: [], admin: false }, workspace, publicKey: key.public.split(' ').slice(0, 2).join(' '), fingerprint: 'SHA256:x' };

const calls: string[] = [];
const sessions: Array<{ phase: string; id: string; from: string }> = [];
let server: LocalSshServer;

beforeAll(async () => {
  server = await startLocalSshServer({
    port: 0,
    hostKey: loadOrCreateHostKey(undefined),
    gate: {
      admit: async (login, presented) => (login === 'lab.ann' && presented === blob ? admission : undefined),
      sessionStarted: async (_admitted, session) => void sessions.push({ phase: 'started', ...session }),
      sessionEnded: async (_admitted, session) => void sessions.push({ phase: 'ended', ...session }),
    },
    workspaces: {
      shellContext: () => undefined,
      sessionOpened: (resourceId) => {
        calls.push(`opened ${resourceId}`);
        return () => calls.push(`closed ${resourceId}`);
      },
    },
    log: () => undefined,
  });
});

afterAll(async () => {
  await server?.close();
});

function connect(username: string): Promise<Client> {
  const client = new Client();
  return new Promise((resolve, reject) => {
    client.once('ready', () => resolve(client)).once('error', reject);
    client.connect({ host: '127.0.0.1', port: server.port, username, privateKey: key.private });
  });
}

describe('the local SSH endpoint', () => {
  it('counts an open session as activity, and records its start and end with one id and the client address', async () => {
    // Act
    const client = await connect('lab.ann');
    await vi.waitFor(() => expect(calls).toEqual([`opened ${workspace.id}`]));
    client.end();

    // Assess
    await vi.waitFor(() => expect(calls).toEqual([`opened ${workspace.id}`, `closed ${workspace.id}`]));
    await vi.waitFor(() => expect(sessions.map((s) => s.phase)).toEqual(['started', 'ended']));
    expect(sessions[0]!.id).toBe(sessions[1]!.id);
    expect(sessions[0]!.from).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('answers a command for a workspace that is not running with how to start it, and exit status 1', async () => {
    const client = await connect('lab.ann');
    const { stderr, code } = await new Promise<{ stderr: string; code: number }>((resolve, reject) =>
      client.exec('echo in', (error, stream) => {
        if (error) return reject(error);
        let text = '';
        stream.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
        stream.on('data', () => undefined);
        stream.once('exit', (exitCode: number) => resolve({ stderr: text, code: exitCode }));
      }),
    );
    client.end();
    expect(code).toBe(1);
    expect(stderr).toContain('workspace lab of ann is stopped');
    expect(stderr).toContain(`POST /api/workspaces/${workspace.id}/start`);
  });

  it('refuses a login the gate does not admit, and password logins', async () => {
    await expect(connect('lab.bob')).rejects.toThrow(/authentication methods failed/);
    const client = new Client();
    const refused = new Promise((_resolve, reject) => client.once('error', reject));
    client.connect({ host: '127.0.0.1', port: server.port, username: 'lab.ann', password: 'guess' });
    await expect(refused).rejects.toThrow(/authentication methods failed/);
  });
});
