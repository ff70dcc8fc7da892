/**
 * The gateway reads its host key's secret with one GetSecretValue by the secret's name
 * (infra/aws/ssh-gateway/secret-host-key.ts), the one action its task role allows.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { loadHostKey } from '../../../../infra/aws/ssh-gateway/secret-host-key.ts';
import { hostKeyFromSeed } from '../../../../infra/aws/ssh-gateway/host-key-from-seed.ts';
import { HOST_KEY_SECRET_NAME } from '../../../../infra/aws/constructs/ssh-gateway.ts';

const secrets = mockClient(SecretsManagerClient);
const SEED = 'Zq8rW2mK4pLx0aVbN7cYd2eFg5hJ4kS9uTo6iRw1Zq8rW2mK4pLx0aVbN7cYd2eF';

describe('loadHostKey', () => {
  afterEach(() => secrets.reset());

  it('asks for the stack\'s secret by name and derives the key from its string', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: SEED });

    // Act
    const key = await loadHostKey(new SecretsManagerClient({ region: 'eu-west-1' }), HOST_KEY_SECRET_NAME);

    // Assess
    expect(secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: HOST_KEY_SECRET_NAME }]);
    expect(secrets.calls()).toHaveLength(1);
    expect(key).toEqual(hostKeyFromSeed(SEED));
  });

  it('refuses to start on a secret with no string rather than serve a key of its own', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });
    await expect(loadHostKey(new SecretsManagerClient({ region: 'eu-west-1' }), HOST_KEY_SECRET_NAME)).rejects.toThrow(/holds no string/);
  });
});
