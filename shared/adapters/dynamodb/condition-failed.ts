/**
 * Whether a write was refused by its condition expression. Checked by name too: an error
 * deserialized by another copy of the SDK is not an instance of this copy's class.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

export function conditionFailed(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as Error | undefined)?.name === 'ConditionalCheckFailedException';
}
