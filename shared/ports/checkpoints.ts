/** Where each consumer records, per stream, the last version it has handled. */
export interface Checkpoints {
  get(consumer: string, streamId: string): Promise<number>;
  /** Moves the checkpoint forward; never back. */
  advance(consumer: string, streamId: string, version: number): Promise<void>;
}
