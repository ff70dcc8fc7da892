/**
 * The full ARNs of the secrets a task definition names. ECS accepts a partial ARN (without
 * Secrets Manager's random `-XXXXXX` suffix) in `valueFrom`, but Secrets Manager reads the last
 * seven characters of such an ARN as a suffix when they look like one: a secret named `db-pass12`
 * or `token-abcdef` would resolve to the wrong secret or to none. So each definition names its
 * secrets by the ARN DescribeSecret returns.
 *
 * One resolver serves one definition build (a run's launch, a service revision's apply): a secret
 * attached twice is described once, and a secret deleted and created again since the last build
 * (a new suffix) is seen, so the definition's content hash changes with it.
 */
import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CatalogRef } from '../../../ports/task-driver.ts';
import { secretKey } from '../tasks/ecs-attachments.ts';
import { secretName } from './secret-names.ts';
import { isNamed } from '../sdk-errors.ts';

/** An attached secret that does not exist (deleted since the resource was applied): no retry makes it. */
export class MissingSecretError extends Error {
  override name = 'MissingSecretError';
}

export class SecretArns {
  private readonly known = new Map<string, Promise<string>>();

  constructor(private readonly options: { client: SecretsManagerClient; prefix?: string }) {}

  /** The full ARN of the platform secret `ref`. */
  arnOf(ref: CatalogRef): Promise<string> {
    const name = secretName(ref, this.options.prefix);
    let arn = this.known.get(name);
    if (!arn) {
      arn = this.describe(ref, name);
      this.known.set(name, arn);
    }
    return arn;
  }

  private async describe(ref: CatalogRef, name: string): Promise<string> {
    try {
      const { ARN, DeletedDate } = await this.options.client.send(new DescribeSecretCommand({ SecretId: name }));
      // A secret scheduled for deletion cannot be read by ECS either.
      if (DeletedDate) throw new MissingSecretError(`the secret ${secretKey(ref)} has been deleted`);
      if (!ARN) throw new Error(`DescribeSecret returned no ARN for ${name}`);
      return ARN;
    } catch (error) {
      if (error instanceof MissingSecretError) throw error;
      if (isNamed(error, 'ResourceNotFoundException')) throw new MissingSecretError(`the secret ${secretKey(ref)} does not exist (deleted since the resource was saved?)`);
      throw error;
    }
  }
}
