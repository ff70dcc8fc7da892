/**
 * Where a workspace's `direct-tcpip` channels (the client's `ssh -L`, VS Code Remote-SSH's tunnel)
 * may go: a port on the task's loopback, which the workspace's main container shares with the
 * edge sidecar (awsvpc: one network namespace per task). So never the agent's own port (a
 * forward to it would be a second, unaudited way in) and never the sidecar's ports, from
 * EDGE_HEALTH_PORT up (its health and proxy ports answer as the platform, not as the workspace).
 * Another host, the task's own ENI address included, is never reached: the gateway is the one
 * way into the VPC a user gets. The gateway checks it before it asks the agent, and the agent
 * again (the contract of the two, ssh-agent-contract.ts). Pure.
 */
import { EDGE_HEALTH_PORT } from '../services/edge-sidecar.ts';
import { WORKSPACE_SSH_PORT } from './ssh-agent-contract.ts';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/** The address to connect to for a forward the agent (listening on `agentPort`) allows, or undefined when it refuses it. */
export function allowedForwardAddress(host: string, port: number, agentPort = WORKSPACE_SSH_PORT): string | undefined {
  if (!LOOPBACK_HOSTS.has(host)) return undefined;
  if (!Number.isInteger(port) || port < 1 || port >= EDGE_HEALTH_PORT || port === WORKSPACE_SSH_PORT || port === agentPort) return undefined;
  // `localhost` could resolve to ::1 where nothing listens, or to whatever /etc/hosts of an arbitrary image says.
  return host === 'localhost' ? '127.0.0.1' : host;
}
