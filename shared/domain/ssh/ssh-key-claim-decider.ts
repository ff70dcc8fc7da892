/**
 * Which user a public key belongs to: one `ssh-key-<key id>` stream per key. A public key is
 * public, so anyone could paste someone else's; the claim makes the first registration win and
 * keeps a login with that key from ever meaning two users. The SSH endpoint reads it to find
 * whose key a client presents.
 */
import type { CommandMeta, Decider } from '../decider.ts';
import { ConflictError } from '../errors.ts';
import type { SshKeyClaimEvent } from '../../../events/ssh-key-events.ts';

export type SshKeyClaimState = { username: string; keyId: string } | null;

export type SshKeyClaimCommand =
  | (CommandMeta & { kind: 'ClaimSshKey'; username: string; keyId: string })
  | (CommandMeta & { kind: 'ReleaseSshKey'; username: string; keyId: string });

export function sshKeyClaimStreamId(keyId: string): string {
  return `ssh-key-${keyId}`;
}

function decide(command: SshKeyClaimCommand, state: SshKeyClaimState): SshKeyClaimEvent[] {
  const meta = { at: command.at, actor: command.actor };
  const data = { username: command.username, key_id: command.keyId };
  switch (command.kind) {
    case 'ClaimSshKey':
      if (state?.username === command.username) return [];
      // Says nothing of whose it is: that would tell a stranger who holds a given key.
      if (state) throw new ConflictError('This public key is registered to another account; each key belongs to one user. Generate a key of your own (ssh-keygen -t ed25519).');
      return [{ type: 'SshKeyClaimed', data, ...meta }];
    case 'ReleaseSshKey':
      return state?.username === command.username ? [{ type: 'SshKeyReleased', data, ...meta }] : [];
  }
}

function evolve(_state: SshKeyClaimState, event: SshKeyClaimEvent): SshKeyClaimState {
  return event.type === 'SshKeyClaimed' ? { username: event.data.username, keyId: event.data.key_id } : null;
}

export const sshKeyClaimDecider: Decider<SshKeyClaimCommand, SshKeyClaimEvent, SshKeyClaimState> = { initialState: null, decide, evolve };
