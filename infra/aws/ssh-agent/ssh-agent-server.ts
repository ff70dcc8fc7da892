/**
 * The SSH agent: the ssh2 server in a workspace's main container on AWS that the SSH gateway
 * (infra/aws/ssh-gateway/) connects to, one connection per client connection
 * (shared/adapters/aws/ssh/ssh-agent-contract.ts). It admits one login, SSH_AGENT_USER with the
 * workspace secret's password, compared in constant time; it presents the host key derived from
 * the secret's `hostKeySeed`, which the gateway pins. Sessions are served by the same code as
 * the local endpoint's (infra/ssh-session/), in the container's environment (minus the secret),
 * working directory, home and user; `-L` goes only where allowedForwardAddress says.
 *
 * Who decides who may use the workspace, the audit events and the refusal of `-R`, agent and X11
 * forwarding and `env` are the gateway's; the agent refuses those again, so that a gateway bug
 * does not widen what a session can do.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
// ssh2 is CommonJS: Node's ESM loader gives its exports as the default only.
import ssh2, { type Connection } from 'ssh2';
import { SSH_AGENT_USER, type SshAgentSecret } from '../../../shared/adapters/aws/ssh/ssh-agent-contract.ts';
import { hostKeyFromSeed } from '../ssh-gateway/host-key-from-seed.ts';
import { serveSessionChannel } from '../../ssh-session/session-channel.ts';
import type { Command, SessionContext } from '../../ssh-session/session-context.ts';
import { forwardTcp } from '../../ssh-session/tcp-forward.ts';
import { allowedForwardAddress } from '../../../shared/adapters/aws/ssh/workspace-forwards.ts';

export interface SshAgentOptions {
  port: number;
  /** 0.0.0.0 in the task: the gateway reaches it on the task's private address. */
  host: string;
  secret: SshAgentSecret;
  /** Where sessions run: the container's own environment (without the secret), directory and user. */
  context: SessionContext;
  /** How to start the SFTP worker: this program again, in its SFTP mode. */
  sftpWorker: Command;
  log: (line: Record<string, unknown>) => void;
}

export interface SshAgent {
  port: number;
  close(): Promise<void>;
}

/** Equal strings, in a time that does not depend on where they differ (hashes first: equal lengths). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export async function startSshAgent(options: SshAgentOptions): Promise<SshAgent> {
  const connections = new Set<Connection>();
  let listeningPort = options.port;
  const hostKey = hostKeyFromSeed(options.secret.hostKeySeed);
  const server = new ssh2.Server({ hostKeys: [hostKey.privateKey], ident: 'CassiniAgent' }, (client, info) => {
    connections.add(client);
    let admitted = false;
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'password' || ctx.username !== SSH_AGENT_USER || !sameSecret(ctx.password, options.secret.password)) {
        if (ctx.method === 'password') options.log({ level: 'warn', component: 'ssh-agent', message: 'login refused', from: info.ip });
        return ctx.reject(['password']);
      }
      admitted = true;
      ctx.accept();
    });
    client.on('session', (accept) => {
      if (admitted) serveSessionChannel(accept(), { context: () => options.context, sftpWorker: options.sftpWorker });
    });
    client.on('tcpip', (accept, reject, target) => {
      const address = admitted ? allowedForwardAddress(target.destIP, target.destPort, listeningPort) : undefined;
      if (address === undefined) return reject();
      forwardTcp(accept, reject, address, target.destPort);
    });
    // Global requests: -R (tcpip-forward) and anything else.
    client.on('request', (_accept, reject) => reject?.());
    client.on('error', () => undefined);
    client.on('close', () => connections.delete(client));
  });
  server.on('error', (error: Error) => options.log({ level: 'error', component: 'ssh-agent', message: 'SSH agent error', error: String(error) }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  listeningPort = (server.address() as AddressInfo).port;
  return {
    port: listeningPort,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const client of connections) client.end();
      await closed;
    },
  };
}
