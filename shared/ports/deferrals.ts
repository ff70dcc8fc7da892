/**
 * Where the consumer pipeline records that a consumer could not handle a stream's batch yet
 * (shared/app/consumers/consumer-pipeline.ts). A deferral is done once the consumer's
 * checkpoint on the stream reaches its version; nothing has to delete it.
 */
export interface Deferral {
  consumer: string;
  streamId: string;
  /** The last version of the batch the consumer failed on. */
  version: number;
  /** Why, for operators: the error's message. */
  reason: string;
}

export interface Deferrals {
  /** Records (or refreshes) a deferral: the consumer is behind on the stream up to `version`. */
  defer(deferral: Deferral): Promise<void>;
  /** Every deferral recorded and not expired; the caller compares each with its checkpoint. */
  recorded(): Promise<Deferral[]>;
}
