/**
 * Reads secret values from Secrets Manager, for whatever realizes a task's secret attachments
 * outside ECS's own injection. A file of its own, so only functions that bundle it need
 * secretsmanager:GetSecretValue (test/infra/aws/least-privilege.test.ts ties roles to bundles).
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretReader, SecretRef } from '../../../ports/secret-store.ts';
import { DEFAULT_SECRET_PREFIX, secretName } from './secrets-manager-store.ts';

export class SecretsManagerReader implements SecretReader {
  constructor(private readonly options: { client: SecretsManagerClient; prefix?: string }) {}

  async get(ref: SecretRef): Promise<string | undefined> {
    try {
      const result = await this.options.client.send(new GetSecretValueCommand({ SecretId: secretName(ref, this.options.prefix ?? DEFAULT_SECRET_PREFIX) }));
      return result.SecretString;
    } catch (error) {
      if ((error as { name?: unknown } | undefined)?.name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }
}
