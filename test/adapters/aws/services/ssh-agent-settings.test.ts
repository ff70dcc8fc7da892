import { describe, expect, it } from 'vitest';
import { sshAgentFromEnv } from '../../../../shared/adapters/aws/services/ecs-service-platform.ts';
import { DEFAULT_SSH_AGENT_IMAGE } from '../../../../shared/adapters/aws/services/ssh-agent-task-parts.ts';

const SHA = 'ab'.repeat(32);
const withGateway = {
  SSH_AGENT_URL: `https://console.example.com/ssh-agent/${SHA}.cjs`,
  SSH_AGENT_SHA256: SHA,
  TASK_SECRET_ARN_PREFIX: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cassini/',
};

describe('sshAgentFromEnv', () => {
  it('reads where the stack published the agent, its pinned SHA-256 and the install image', () => {
    expect(sshAgentFromEnv(withGateway)).toEqual({ image: DEFAULT_SSH_AGENT_IMAGE, bundleUrl: withGateway.SSH_AGENT_URL, bundleSha256: SHA, secretArnPrefix: withGateway.TASK_SECRET_ARN_PREFIX });
    expect(sshAgentFromEnv({ ...withGateway, SSH_AGENT_IMAGE: 'registry.example.com/node:22-bookworm' })!.image).toBe('registry.example.com/node:22-bookworm');
  });

  it('gives no agent to a stack without the SSH gateway', () => {
    expect(sshAgentFromEnv({ TASK_SECRET_ARN_PREFIX: withGateway.TASK_SECRET_ARN_PREFIX })).toBeUndefined();
  });

  it('refuses a missing or malformed SHA-256, which would let no bundle (or any) through', () => {
    expect(() => sshAgentFromEnv({ ...withGateway, SSH_AGENT_SHA256: '' })).toThrow('SSH_AGENT_SHA256');
    expect(() => sshAgentFromEnv({ ...withGateway, SSH_AGENT_SHA256: 'AB'.repeat(32) })).toThrow('64 lowercase hex digits');
  });
});
