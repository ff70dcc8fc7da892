/** The TaskTokens port over the identity service: a task's SATURN_TOKEN is an ordinary API token of its owner. */
import type { TaskTokens } from '../ports/task-tokens.ts';
import type { IdentityService } from './identity-service.ts';

export function taskTokenIssuer(identity: IdentityService): TaskTokens {
  return {
    async issue(owner, taskId) {
      const issued = await identity.issueTaskToken(owner, taskId);
      return { token: issued.token, id: issued.token_id };
    },
    revoke: (id) => identity.revokeTaskToken(id),
  };
}
