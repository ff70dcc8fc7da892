/**
 * The SSH ports of the AWS side, apart from the construct (infra/aws/constructs/ssh-gateway.ts
 * re-exports them) so the gateway's and the agent's bundles do not pull in the CDK.
 */

/** Where the gateway's tasks listen; the load balancer's port is the configured one. */
export const GATEWAY_SSH_PORT = 2222;
/** Where a workspace task's SSH agent listens for the gateway (the contract of the two sides). */
export { WORKSPACE_SSH_PORT } from '../../../shared/adapters/aws/ssh/ssh-agent-contract.ts';
