/**
 * The end of a job task's token file (task-token-files.ts): revoke its token and delete the
 * object. Apart from the writer so that the task-state function, which only ever removes,
 * bundles (and may send) no PutObject.
 */
import { DeleteObjectCommand, GetObjectTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import type { TaskTokens } from '../../../ports/task-tokens.ts';
import { isNamed } from '../sdk-errors.ts';

/** The folder of the tasks bucket that holds token files; the execution role may read only here. */
export const TOKEN_FILE_FOLDER = 'tokens/';
/** The object tag that carries the token's id. */
export const TOKEN_FILE_ID_TAG = 'cassini:token-id';
/** Task ids are `<run id>-<rank>`; anything else could escape the folder. */
const TASK_ID = /^[A-Za-z0-9_.-]{1,200}$/;

export interface TokenFileBucket {
  client: S3Client;
  /** The tasks bucket (infra/aws/constructs/storage.ts). */
  bucket: string;
  tokens: TaskTokens;
}

/** The object key of a task's token file. */
export function tokenFileKey(taskId: string): string {
  if (!TASK_ID.test(taskId)) throw new Error(`task id ${JSON.stringify(taskId)} cannot name a token file`);
  return `${TOKEN_FILE_FOLDER}${taskId}.env`;
}

/** The token id a file's tag names, or undefined when the file is gone. */
export async function tokenIdOfFile(where: Omit<TokenFileBucket, 'tokens'>, key: string): Promise<string | undefined> {
  try {
    const { TagSet } = await where.client.send(new GetObjectTaggingCommand({ Bucket: where.bucket, Key: key }));
    return TagSet?.find((t) => t.Key === TOKEN_FILE_ID_TAG)?.Value;
  } catch (error) {
    if (isNamed(error, 'NoSuchKey', 'NotFound')) return undefined;
    throw error;
  }
}

export class TaskTokenFileRemoval {
  constructor(protected readonly options: TokenFileBucket) {}

  /** Revokes the task's token (`tokenId` when the caller knows it, else the file's tag) and deletes its file; nothing to remove is fine. */
  async remove(taskId: string, tokenId?: string): Promise<void> {
    const key = tokenFileKey(taskId);
    const id = tokenId ?? (await tokenIdOfFile(this.options, key));
    if (id) await this.options.tokens.revoke(id);
    // Deleting an absent key succeeds in S3.
    await this.options.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }));
  }
}

/** For the task-state function: removal only, from `TASKS_BUCKET`; undefined without a bucket. */
export function taskTokenFileRemovalFromEnv(env: NodeJS.ProcessEnv, tokens: TaskTokens): TaskTokenFileRemoval | undefined {
  return env.TASKS_BUCKET ? new TaskTokenFileRemoval({ client: new S3Client({}), bucket: env.TASKS_BUCKET, tokens }) : undefined;
}
