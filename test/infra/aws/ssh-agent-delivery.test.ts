/**
 * The SSH agent's delivery in the synthesized template (infra/aws/constructs/ssh-agent-delivery.ts):
 * published beside the web console under its SHA-256, the reactor told where and what to pin,
 * and allowed to make and delete the workspaces' agent secrets, and nothing more of the prefix.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleSshAgent } from '../../../infra/aws/function-bundle.ts';
import { WORKSPACE_SSH_PORT as CONSTRUCT_WORKSPACE_SSH_PORT } from '../../../infra/aws/constructs/ssh-gateway.ts';
import { WORKSPACE_SSH_PORT } from '../../../shared/adapters/aws/ssh/ssh-agent-contract.ts';
import { logicalId, synthCassini } from './support/synth.ts';
import { roleStatements } from './support/least-privilege.ts';

type Statement = ReturnType<typeof roleStatements>[number];

describe('ssh-agent-delivery.ts', () => {
  const synth = synthCassini({ sshPort: '22' });
  const { json, stack } = synth;
  const reactorEnv = () => (json.Resources[logicalId(stack.reactor.fn)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;

  it("pins the SHA-256 of the agent this code bundles, and publishes it under that name on the console's distribution", () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'cassini-ssh-agent-pin-'));
    const sha256 = createHash('sha256').update(readFileSync(bundleSshAgent(dir))).digest('hex');
    rmSync(dir, { recursive: true, force: true });

    // Act
    const env = reactorEnv();

    // Assess
    expect(env.SSH_AGENT_SHA256).toBe(sha256);
    expect(JSON.stringify(env.SSH_AGENT_URL)).toContain(`/ssh-agent/${sha256}.cjs`);
    expect(JSON.stringify(env.SSH_AGENT_URL)).toContain(logicalId(stack.console.distribution));
    const deployment = Object.values(json.Resources).find((r) => r.Type === 'Custom::CDKBucketDeployment')!;
    // The console build, its config.json, and the agent: one deployment, so its pruning keeps the agent.
    expect((deployment.Properties!.SourceObjectKeys as unknown[]).length).toBe(3);
  });

  it("lets the reactor create, tag and delete the workspaces' agent secrets, and read none", () => {
    // Act
    const statements = roleStatements(json.Resources, logicalId(stack.reactor.role));
    const onAgentSecrets = statements.filter((s: Statement) => JSON.stringify(s.Resource).includes('/_ssh-*'));

    // Assess
    expect(onAgentSecrets).toHaveLength(1);
    expect([...(onAgentSecrets[0]!.Action as string[])].sort()).toEqual(['secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret', 'secretsmanager:TagResource']);
    expect(JSON.stringify(onAgentSecrets[0]!.Resource)).toContain(':secret:cassini/*/_ssh-*');
    // The secret's value is ECS's to read (the workspace's execution role) and the gateway's, never the reactor's.
    const reads = statements.filter((s: Statement) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));
    for (const read of reads) expect(JSON.stringify(read.Resource)).not.toMatch(/cassini\/\*|_ssh/);
  });

  it('leaves a stack without the SSH gateway as it was', () => {
    // Act
    const plain = synthCassini();
    const env = (plain.json.Resources[logicalId(plain.stack.reactor.fn)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;

    // Assess
    expect(env.SSH_AGENT_URL).toBeUndefined();
    expect(JSON.stringify(plain.json)).not.toContain('_ssh-*');
  });

  it("listens where the gateway's security groups let it be reached", () => {
    expect(CONSTRUCT_WORKSPACE_SSH_PORT).toBe(WORKSPACE_SSH_PORT);
  });
});
