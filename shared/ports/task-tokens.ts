/**
 * The SATURN_TOKEN of a task: an API token acting as the resource's owner, issued when the task
 * starts and revoked when it ends, so code written for Saturn Cloud can call the API from inside.
 * Whatever realizes tasks holds this port; only the token's id is ever recorded, never the token.
 */
export interface IssuedTaskToken {
  /** The token itself: handed to the task's environment and nowhere else. */
  token: string;
  /** What revokes it, and what records may keep. */
  id: string;
}

export interface TaskTokens {
  /** A fresh token for `owner` (a user), labelled with the task it is for. Rejects for a name that is not a user. */
  issue(owner: string, taskId: string): Promise<IssuedTaskToken>;
  /** Revokes the token; revoking one already revoked (or unknown) is not an error. */
  revoke(id: string): Promise<void>;
}
