/**
 * A job task's SATURN_TOKEN on AWS. A job's task definition is shared by every run of its spec
 * (ecs-task-definitions.ts), so a per-task secret in `secrets` would force a definition per
 * task, and RunTask's overrides are recorded by CloudTrail, so the token cannot go there either.
 * Instead the launcher writes `SATURN_TOKEN=<token>` to a private object of the tasks bucket,
 * `tokens/<task id>.env`, and RunTask names it in the main container's `environmentFiles`
 * override: ECS reads it with the execution role (which may read `tokens/*` only) and sets the
 * variable before the container starts. Only the object's ARN is in the request.
 *
 * The token's id (not the token) is the object's tag `cassini:token-id`, and the launcher also
 * gives it to the task as `CASSINI_TOKEN_ID` (an id is what records may keep), so whoever sees
 * the task stop — the task-state function, or the reconciler for a lost task — revokes the
 * token and deletes the object with nothing but the task id, even after the bucket's lifecycle
 * rule (a backstop) expired the object under a long-running task.
 *
 * `write` is safe to repeat: the object is written only if absent (`If-None-Match: *`), so a
 * repeated launch of the same task keeps the token its task may already have read and revokes
 * the one it has just issued. `remove` revokes and deletes; nothing to remove is fine.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { TaskTokens } from '../../../ports/task-tokens.ts';
import { isNamed } from '../sdk-errors.ts';
import { TaskTokenFileRemoval, tokenFileKey, tokenIdOfFile, TOKEN_FILE_ID_TAG } from './task-token-file-removal.ts';

export { TOKEN_FILE_FOLDER, TOKEN_FILE_ID_TAG } from './task-token-file-removal.ts';

export interface TaskTokenFilesOptions {
  client: S3Client;
  /** The tasks bucket (infra/aws/constructs/storage.ts). */
  bucket: string;
  tokens: TaskTokens;
  /** The partition of the bucket's ARN; `aws` unless in China or GovCloud. */
  partition?: string;
}

/** What RunTask needs to hand a task its token file. */
export interface TokenFile {
  /** `arn:<partition>:s3:::<bucket>/tokens/<task id>.env`, as ECS's `environmentFiles` wants it. */
  arn: string;
  tokenId: string;
}

export class TaskTokenFiles extends TaskTokenFileRemoval {
  private readonly partition: string;

  constructor(options: TaskTokenFilesOptions) {
    super(options);
    this.partition = options.partition ?? 'aws';
  }

  /** The object key of a task's token file. */
  keyFor(taskId: string): string {
    return tokenFileKey(taskId);
  }

  arnFor(taskId: string): string {
    return `arn:${this.partition}:s3:::${this.options.bucket}/${this.keyFor(taskId)}`;
  }

  /**
   * Issues a token acting as `owner` for the task and stores it in the task's file. Rejects as
   * the TaskTokens port does for an owner that is not a user (NotFoundError).
   */
  async write(owner: string, taskId: string): Promise<TokenFile> {
    const key = this.keyFor(taskId);
    const issued = await this.options.tokens.issue(owner, taskId);
    try {
      await this.options.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: `SATURN_TOKEN=${issued.token}\n`,
          ContentType: 'text/plain',
          ServerSideEncryption: 'AES256',
          Tagging: `${encodeURIComponent(TOKEN_FILE_ID_TAG)}=${encodeURIComponent(issued.id)}`,
          IfNoneMatch: '*',
        }),
      );
      return { arn: this.arnFor(taskId), tokenId: issued.id };
    } catch (error) {
      // Either way the token just issued is in no file: it must not outlive this call.
      await this.options.tokens.revoke(issued.id);
      if (!isNamed(error, 'PreconditionFailed')) throw error;
      // A launch of this task wrote the file first: its token is the task's.
      const existing = await tokenIdOfFile(this.options, key);
      if (!existing) throw error;
      return { arn: this.arnFor(taskId), tokenId: existing };
    }
  }
}

/**
 * Token files from the environment the stack gives the launching and task-state functions:
 * `TASKS_BUCKET` (the tasks bucket) and `AWS_REGION` (set by Lambda). Undefined without a bucket
 * or without TaskTokens: then job tasks get no SATURN_TOKEN.
 */
export function taskTokenFilesFromEnv(env: NodeJS.ProcessEnv, tokens: TaskTokens | undefined): TaskTokenFiles | undefined {
  if (!env.TASKS_BUCKET || !tokens) return undefined;
  return new TaskTokenFiles({ client: new S3Client({}), bucket: env.TASKS_BUCKET, tokens, partition: partitionOf(env.AWS_REGION ?? '') });
}

/** The ARN partition of a region (an S3 object's ARN names no region, so it must be known apart). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}
