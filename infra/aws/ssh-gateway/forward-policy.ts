/**
 * Where `ssh -L` may lead from a workspace on AWS, checked by the gateway before it asks the
 * agent (which checks the same; the contract of the two): the task's own loopback, by the
 * three names the contract allows, and never the agent's own port (a second way in, past the
 * gateway's policy) nor the edge sidecar's ports (61000 and up: the sidecar trusts what reaches
 * them to have come through the web load balancer's sign-in). Pure.
 */
import { EDGE_HEALTH_PORT } from '../../../shared/adapters/aws/services/edge-sidecar.ts';
import { WORKSPACE_SSH_PORT } from './ssh-ports.ts';

const LOOPBACK_NAMES = new Set(['127.0.0.1', '::1', 'localhost']);

export function forwardAllowed(host: string, port: number): boolean {
  return LOOPBACK_NAMES.has(host) && Number.isInteger(port) && port > 0 && port !== WORKSPACE_SSH_PORT && port < EDGE_HEALTH_PORT;
}
