import { CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, ResourceExistsException, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { TaskTokenSecrets } from '../../../../shared/adapters/aws/tasks/task-token-secrets.ts';
import type { TaskTokens } from '../../../../shared/ports/task-tokens.ts';

const client = new SecretsManagerClient({ region: 'eu-west-1' });
const sm = mockClient(client);
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cassini/_tasks/run1-0-AbCdEf';

function fakeTokens(): TaskTokens & { issued: string[]; revoked: string[] } {
  const issued: string[] = [];
  const revoked: string[] = [];
  return {
    issued,
    revoked,
    async issue(owner, taskId) {
      issued.push(`${owner}:${taskId}`);
      return { token: `tok-${issued.length}`, id: `id-${issued.length}` };
    },
    async revoke(id) {
      revoked.push(id);
    },
  };
}

beforeEach(() => {
  sm.reset();
});

describe('TaskTokenSecrets', () => {
  it('stores a fresh token as the task\'s secret, tagged with the token id, and returns its ARN', async () => {
    // Prepare
    const tokens = fakeTokens();
    sm.on(CreateSecretCommand).resolves({ ARN });

    // Act
    const arn = await new TaskTokenSecrets({ client, tokens }).create('ann', 'run1-0');

    // Assess
    expect(arn).toBe(ARN);
    expect(sm.commandCalls(CreateSecretCommand)[0]!.args[0].input).toEqual({
      Name: 'cassini/_tasks/run1-0',
      Description: 'SATURN_TOKEN of Cassini task run1-0',
      SecretString: 'tok-1',
      Tags: [
        { Key: 'owner', Value: 'ann' },
        { Key: 'managed-by', Value: 'cassini' },
        { Key: 'cassini:token-id', Value: 'id-1' },
      ],
    });
    expect(tokens.issued).toEqual(['ann:run1-0']);
  });

  it('returns the existing secret on a repeated create and revokes the token it did not store', async () => {
    const tokens = fakeTokens();
    sm.on(CreateSecretCommand).rejects(new ResourceExistsException({ message: 'exists', $metadata: {} }));
    sm.on(DescribeSecretCommand).resolves({ ARN });

    await expect(new TaskTokenSecrets({ client, tokens }).create('ann', 'run1-0')).resolves.toBe(ARN);
    expect(tokens.revoked).toEqual(['id-1']);
  });

  it('revokes the token named by the tag and deletes the secret at once; a second remove finds nothing', async () => {
    const tokens = fakeTokens();
    sm.on(DescribeSecretCommand).resolvesOnce({ ARN, Tags: [{ Key: 'cassini:token-id', Value: 'id-7' }] }).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    sm.on(DeleteSecretCommand).resolves({});
    const secrets = new TaskTokenSecrets({ client, tokens });

    await secrets.remove('run1-0');
    await secrets.remove('run1-0');

    expect(tokens.revoked).toEqual(['id-7']);
    expect(sm.commandCalls(DeleteSecretCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: 'cassini/_tasks/run1-0', ForceDeleteWithoutRecovery: true }]);
  });

  it('refuses a key that is not a secret name part', () => {
    expect(() => new TaskTokenSecrets({ client, tokens: fakeTokens() }).nameFor('a/b')).toThrow(/not a valid secret name part/);
  });
});
