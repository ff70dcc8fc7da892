import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerStore, secretName } from '../../../../shared/adapters/aws/secrets/secrets-manager-store.ts';
import { SecretsManagerReader } from '../../../../shared/adapters/aws/secrets/secrets-manager-reader.ts';

const client = new SecretsManagerClient({ region: 'eu-west-1' });
const secrets = mockClient(client);
const store = new SecretsManagerStore({ client, prefix: 'cassini/' });
const ref = { owner: 'ann', name: 'db-password' };
const meta = { $metadata: {} };

/** Every request sent, as [command name, input], in order. */
function sent(): Array<[string, unknown]> {
  return secrets.calls().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: unknown };
    return [command.constructor.name, command.input];
  });
}

beforeEach(() => {
  secrets.reset();
});

describe('SecretsManagerStore.put', () => {
  it('creates the secret under the prefix, tagged with its owner and managed-by', async () => {
    // Prepare
    secrets.on(CreateSecretCommand).resolves({ Name: 'cassini/ann/db-password' });

    // Act
    await store.put(ref, 'hunter2');

    // Assess
    expect(sent()).toEqual([
      [
        'CreateSecretCommand',
        {
          Name: 'cassini/ann/db-password',
          Description: 'Cassini secret db-password of ann',
          SecretString: 'hunter2',
          Tags: [
            { Key: 'owner', Value: 'ann' },
            { Key: 'managed-by', Value: 'cassini' },
          ],
        },
      ],
    ]);
  });

  it('puts a new value when the secret exists', async () => {
    // Prepare
    secrets.on(CreateSecretCommand).rejects(new ResourceExistsException({ message: 'exists', ...meta }));
    secrets.on(PutSecretValueCommand).resolves({});

    // Act
    await store.put(ref, 'hunter3');

    // Assess
    expect(sent().map(([name]) => name)).toEqual(['CreateSecretCommand', 'PutSecretValueCommand']);
    expect(sent()[1]![1]).toEqual({ SecretId: 'cassini/ann/db-password', SecretString: 'hunter3' });
  });

  it('restores a secret scheduled for deletion, then puts the value', async () => {
    // Prepare
    secrets.on(CreateSecretCommand).rejects(new InvalidRequestException({ message: 'scheduled for deletion', ...meta }));
    secrets.on(RestoreSecretCommand).resolves({});
    secrets.on(PutSecretValueCommand).resolves({});

    // Act
    await store.put(ref, 'again');

    // Assess
    expect(sent()).toEqual([
      ['CreateSecretCommand', expect.objectContaining({ Name: 'cassini/ann/db-password' })],
      ['RestoreSecretCommand', { SecretId: 'cassini/ann/db-password' }],
      ['PutSecretValueCommand', { SecretId: 'cassini/ann/db-password', SecretString: 'again' }],
    ]);
  });

  it('lets other failures through', async () => {
    secrets.on(CreateSecretCommand).rejects(new Error('AccessDenied'));
    await expect(store.put(ref, 'x')).rejects.toThrow('AccessDenied');
    expect(sent()).toHaveLength(1);
  });
});

describe('SecretsManagerStore.delete', () => {
  it('schedules the deletion with a 7-day recovery window', async () => {
    // Prepare
    secrets.on(DeleteSecretCommand).resolves({});

    // Act
    await store.delete(ref);

    // Assess
    expect(sent()).toEqual([['DeleteSecretCommand', { SecretId: 'cassini/ann/db-password', RecoveryWindowInDays: 7 }]]);
  });

  it('treats a missing secret, or one already scheduled for deletion, as deleted', async () => {
    secrets.on(DeleteSecretCommand).rejectsOnce(new ResourceNotFoundException({ message: 'gone', ...meta })).rejectsOnce(new InvalidRequestException({ message: 'scheduled', ...meta }));
    await store.delete(ref);
    await store.delete(ref);
    expect(sent()).toHaveLength(2);
  });
});

describe('SecretsManagerReader', () => {
  it('reads the value by the same name, and undefined when there is none', async () => {
    // Prepare
    const reader = new SecretsManagerReader({ client });
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'hunter2' }).rejectsOnce(new ResourceNotFoundException({ message: 'gone', ...meta }));

    // Act / Assess
    expect(await reader.get(ref)).toBe('hunter2');
    expect(await reader.get(ref)).toBeUndefined();
    expect(sent().map(([, input]) => input)).toEqual([{ SecretId: 'cassini/ann/db-password' }, { SecretId: 'cassini/ann/db-password' }]);
  });

  it('names secrets <prefix><owner>/<name>', () => {
    expect(secretName({ owner: 'ml', name: 'key' }, 'team-x/')).toBe('team-x/ml/key');
  });
});
