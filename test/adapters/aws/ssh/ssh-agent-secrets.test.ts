/**
 * The per-workspace SSH agent secret in Secrets Manager: the exact create and delete requests,
 * idempotence, and the value's shape the gateway and the agent both parse.
 */
import { CreateSecretCommand, DeleteSecretCommand, InvalidRequestException, ResourceExistsException, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { makeSshAgentSecret, SshAgentSecrets } from '../../../../shared/adapters/aws/ssh/ssh-agent-secrets.ts';
import { sshAgentSecretPath, sshAgentSecretSchema } from '../../../../shared/adapters/aws/ssh/ssh-agent-contract.ts';

const client = new SecretsManagerClient({ region: 'eu-west-1' });
const sm = mockClient(client);
const workspace = { owner: 'ann', resourceId: 'a'.repeat(32) };
const fixed = { password: 'p'.repeat(43), hostKeySeed: 's'.repeat(43) };

beforeEach(() => {
  sm.reset();
});

afterAll(() => {
  sm.restore();
});

describe('SshAgentSecrets', () => {
  it('creates the workspace\'s secret under the owner\'s folder, with the contract\'s JSON', async () => {
    // Prepare
    sm.on(CreateSecretCommand).resolves({});
    const secrets = new SshAgentSecrets({ client, makeSecret: () => fixed });

    // Act
    await secrets.ensure(workspace);

    // Assess
    expect(sm.commandCalls(CreateSecretCommand).map((call) => call.args[0].input)).toEqual([
      {
        Name: `cassini/ann/_ssh-${'a'.repeat(32)}`,
        Description: `Credentials of the SSH agent in the tasks of Cassini workspace ${'a'.repeat(32)}`,
        SecretString: JSON.stringify(fixed),
        Tags: [
          { Key: 'owner', Value: 'ann' },
          { Key: 'managed-by', Value: 'cassini' },
        ],
      },
    ]);
  });

  it('keeps the secret a first create made (a repeated or raced ensure)', async () => {
    // Prepare
    sm.on(CreateSecretCommand).rejects(new ResourceExistsException({ message: 'exists', $metadata: {} }));

    // Act / Assess
    await expect(new SshAgentSecrets({ client }).ensure(workspace)).resolves.toBeUndefined();
    expect(sm.commandCalls(DeleteSecretCommand)).toHaveLength(0);
  });

  it('says so when the secret of a deleted workspace of the same id is still being deleted', async () => {
    // Prepare: "You can't create this secret because a secret with this name is already scheduled for deletion" (CreateSecret, InvalidRequestException)
    sm.on(CreateSecretCommand).rejects(new InvalidRequestException({ message: 'scheduled for deletion', $metadata: {} }));

    // Act / Assess
    await expect(new SshAgentSecrets({ client }).ensure(workspace)).rejects.toThrow(/still being deleted/);
  });

  it('deletes the secret at once with the workspace, and a missing one is fine', async () => {
    // Prepare
    sm.on(DeleteSecretCommand).rejectsOnce(new ResourceNotFoundException({ message: 'gone', $metadata: {} })).resolves({});
    const secrets = new SshAgentSecrets({ client, prefix: 'team/' });

    // Act
    await secrets.remove(workspace);
    await secrets.remove(workspace);

    // Assess
    expect(sm.commandCalls(DeleteSecretCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: `team/ann/_ssh-${'a'.repeat(32)}`, ForceDeleteWithoutRecovery: true },
      { SecretId: `team/ann/_ssh-${'a'.repeat(32)}`, ForceDeleteWithoutRecovery: true },
    ]);
  });
});

describe('the SSH agent secret', () => {
  it('holds 32 random bytes per field in base64url, fresh each time', () => {
    // Act
    const [first, second] = [makeSshAgentSecret(), makeSshAgentSecret()];

    // Assess
    expect(sshAgentSecretSchema.parse(first)).toEqual(first);
    expect(Buffer.from(first.password, 'base64url')).toHaveLength(32);
    expect(first.password).not.toBe(first.hostKeySeed);
    expect(second.password).not.toBe(first.password);
  });

  it('is named only for a real owner and resource id, so a name cannot climb out of the owner\'s folder', () => {
    expect(sshAgentSecretPath(workspace)).toBe(`ann/_ssh-${'a'.repeat(32)}`);
    expect(() => sshAgentSecretPath({ owner: '../bob', resourceId: 'a'.repeat(32) })).toThrow(/owner/);
    expect(() => sshAgentSecretPath({ owner: 'ann', resourceId: '*' })).toThrow(/resource id/);
  });
});
