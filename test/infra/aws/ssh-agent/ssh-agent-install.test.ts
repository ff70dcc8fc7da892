/**
 * How a workspace task gets its SSH agent without an image of ours: the init container's
 * program (SSH_AGENT_INSTALL_SCRIPT, run by `node -e` as ECS runs it) against a real HTTP
 * server, and the main container's start lines (sshAgentStartLines) run by a real `sh`.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SSH_AGENT_FILE, SSH_AGENT_INSTALL_SCRIPT, SSH_AGENT_INSTALL_VARIABLES, sshAgentStartLines } from '../../../../shared/adapters/aws/services/ssh-agent-task-parts.ts';
import { SSH_AGENT_SECRET_VARIABLE } from '../../../../shared/adapters/aws/ssh/ssh-agent-contract.ts';

const BUNDLE = "console.log('the agent')\n";
const BUNDLE_SHA256 = createHash('sha256').update(BUNDLE).digest('hex');
let dir: string;
let server: Server;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cassini-ssh-install-'));
  server = createServer((request, response) => {
    // What a tampered or wrong object would be: same path, other bytes.
    response.end(request.url === '/tampered.cjs' ? `${BUNDLE}require('child_process')` : BUNDLE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  rmSync(dir, { recursive: true, force: true });
});

function run(file: string, args: string[], env: NodeJS.ProcessEnv, cwd = dir): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function install(target: string, path: string, sha256: string) {
  mkdirSync(target, { recursive: true });
  const { url: urlVariable, sha256: shaVariable, dir: dirVariable } = SSH_AGENT_INSTALL_VARIABLES;
  return run(process.execPath, ['-e', SSH_AGENT_INSTALL_SCRIPT], { [urlVariable]: `${url}${path}`, [shaVariable]: sha256, [dirVariable]: target });
}

describe('the init container that installs the SSH agent', () => {
  it('writes the bundle it fetched and its own node binary when the SHA-256 is the pinned one', async () => {
    // Prepare
    const target = join(dir, 'installed');

    // Act
    const result = await install(target, `/ssh-agent/${BUNDLE_SHA256}.cjs`, BUNDLE_SHA256);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(target, SSH_AGENT_FILE), 'utf8')).toBe(BUNDLE);
    expect(statSync(join(target, 'node')).size).toBe(statSync(process.execPath).size);
    expect(statSync(join(target, 'node')).mode & 0o777).toBe(0o555);
    expect(readdirSync(target).sort()).toEqual(['node', SSH_AGENT_FILE]);
  });

  it('refuses a bundle whose SHA-256 differs, writing nothing', async () => {
    // Prepare
    const target = join(dir, 'refused');

    // Act
    const result = await install(target, '/tampered.cjs', BUNDLE_SHA256);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`not the ${BUNDLE_SHA256} this task pins: not installed`);
    expect(readdirSync(target)).toEqual([]);
  });
});

describe("the main container's start of the SSH agent", () => {
  /** An installed "agent" that records what it was started with. */
  function fakeInstall(target: string, record: string): void {
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, 'node'), `#!/bin/sh\n{ pwd; printenv ${SSH_AGENT_SECRET_VARIABLE}; echo "$1"; } > ${record}\n`);
    chmodSync(join(target, 'node'), 0o755);
    writeFileSync(join(target, SSH_AGENT_FILE), '');
  }

  it("starts the agent in the command's directory with the secret, and the command without it, keeping its exit status", async () => {
    // Prepare
    const target = join(dir, 'opt-started');
    const record = join(dir, 'started.txt');
    fakeInstall(target, record);
    const work = mkdtempSync(join(dir, 'work-'));
    const script = [`cd ${work} || exit 1`, ...sshAgentStartLines(target), `printenv ${SSH_AGENT_SECRET_VARIABLE} || echo no-secret; exit 7`].join('\n');

    // Act
    const result = await run('/bin/sh', ['-c', script], { PATH: process.env.PATH, [SSH_AGENT_SECRET_VARIABLE]: '{"password":"p"}' });

    // Assess
    expect(result).toMatchObject({ code: 7, stdout: 'no-secret\n' });
    await expect.poll(() => existsSync(record) && readFileSync(record, 'utf8'), { message: 'the agent was started' }).toBe(`${work}\n{"password":"p"}\n${target}/${SSH_AGENT_FILE}\n`);
  });

  it('runs the command all the same when the agent is not installed, and says why there is no SSH', async () => {
    // Prepare
    const target = join(dir, 'opt-empty');
    mkdirSync(target);
    const script = [...sshAgentStartLines(target), 'echo jupyter; exit 0'].join('\n');

    // Act
    const result = await run('/bin/sh', ['-c', script], { PATH: process.env.PATH });

    // Assess
    expect(result).toMatchObject({ code: 0, stdout: 'jupyter\n' });
    expect(result.stderr).toContain('the SSH agent is not installed');
  });
});
