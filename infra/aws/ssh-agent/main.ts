/**
 * The SSH agent's program, bundled into one CommonJS file (infra/aws/function-bundle.ts,
 * bundleSshAgent) that the workspace task's init container places beside a Node binary in
 * /opt/cassini-ssh (shared/adapters/aws/services/ssh-agent-task-parts.ts):
 * - `node ssh-agent.cjs [port]` serves SSH on 0.0.0.0 (WORKSPACE_SSH_PORT unless a port is
 *   given; a test gives 0) and prints `{"message":"listening","port":…}` once it does;
 * - `node ssh-agent.cjs sftp` is its SFTP worker (infra/ssh-session/sftp-server.ts), one per
 *   SFTP session, so that one file serves both.
 *
 * The secret comes in SSH_AGENT_SECRET_VARIABLE (ECS `secrets`); the agent takes it out of its
 * own environment first, so no session, SFTP worker or process of a session ever sees it.
 */
import { homedir } from 'node:os';
import { SSH_AGENT_SECRET_VARIABLE, sshAgentSecretSchema, WORKSPACE_SSH_PORT } from '../../../shared/adapters/aws/ssh/ssh-agent-contract.ts';
import { serveSftpOverStdio } from '../../ssh-session/sftp-server.ts';
import { startSshAgent } from './ssh-agent-server.ts';

const SFTP_MODE = 'sftp';

function log(line: Record<string, unknown>): void {
  console.log(JSON.stringify({ component: 'ssh-agent', ...line }));
}

async function main(): Promise<void> {
  const raw = process.env[SSH_AGENT_SECRET_VARIABLE];
  delete process.env[SSH_AGENT_SECRET_VARIABLE];
  let value: unknown;
  try {
    value = JSON.parse(raw ?? '');
  } catch {
    value = undefined;
  }
  const secret = sshAgentSecretSchema.safeParse(value);
  if (!secret.success) {
    // Which fields are wrong, never their values.
    const fields = secret.error.issues.map((issue) => issue.path.join('.') || '(the value)').join(', ');
    log({ level: 'error', message: `${SSH_AGENT_SECRET_VARIABLE} is missing or not the agent secret (${fields}): SSH to this workspace is off; the workspace itself runs on` });
    process.exitCode = 1;
    return;
  }
  const env = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const port = process.argv[2] === undefined ? WORKSPACE_SSH_PORT : Number(process.argv[2]);
  const agent = await startSshAgent({
    port,
    host: '0.0.0.0',
    secret: secret.data,
    context: { env, cwd: process.cwd(), home: process.env.HOME ?? homedir(), runAs: (command) => command },
    // This same program (and, under tsx in tests, the same loader) in its SFTP mode.
    sftpWorker: { file: process.execPath, args: [...process.execArgv, process.argv[1]!, SFTP_MODE] },
    log,
  });
  log({ level: 'info', message: 'listening', port: agent.port });
}

if (process.argv[2] === SFTP_MODE) serveSftpOverStdio();
else {
  main().catch((error: unknown) => {
    log({ level: 'error', message: 'the SSH agent could not start; SSH to this workspace is off', error: String(error) });
    process.exitCode = 1;
  });
}
