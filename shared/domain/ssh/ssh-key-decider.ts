/**
 * A user's SSH public keys: the `ssh-keys-<username>` stream behind `GET/POST/DELETE
 * /api/user/ssh_keys`. A key's id comes from the key itself, so adding the same key again with
 * the same name is a no-op (a client retry) and two entries can never hold one key.
 */
import type { CommandMeta, Decider } from '../decider.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type { SshKeyEvent } from '../../../events/ssh-key-events.ts';

/** Enough for every machine a person uses; a bound on what one stream holds. */
export const MAX_SSH_KEYS_PER_USER = 50;

export interface RegisteredSshKey {
  id: string;
  name: string;
  fingerprint: string;
  /** `<type> <base64>`: the canonical public key, without its comment. */
  publicKey: string;
  createdAt: string;
}

export interface SshKeysState {
  keys: RegisteredSshKey[];
}

export type SshKeyCommand =
  | (CommandMeta & { kind: 'AddSshKey'; key: Omit<RegisteredSshKey, 'createdAt'> })
  | (CommandMeta & { kind: 'RemoveSshKey'; keyId: string });

export function sshKeysStreamId(username: string): string {
  return `ssh-keys-${username}`;
}

function decide(command: SshKeyCommand, state: SshKeysState): SshKeyEvent[] {
  const meta = { at: command.at, actor: command.actor };
  switch (command.kind) {
    case 'AddSshKey': {
      const { key } = command;
      const same = state.keys.find((k) => k.id === key.id);
      if (same && same.name === key.name) return [];
      if (same) throw new ConflictError(`This key is already registered, as "${same.name}"; delete that entry first to rename it.`);
      if (state.keys.some((k) => k.name === key.name)) throw new ConflictError(`A key named "${key.name}" exists; choose another name or delete that key first.`);
      if (state.keys.length >= MAX_SSH_KEYS_PER_USER) {
        throw new ValidationError(`A user may register at most ${MAX_SSH_KEYS_PER_USER} SSH keys; delete one first.`, [{ path: 'public_key', message: `at most ${MAX_SSH_KEYS_PER_USER} keys per user` }]);
      }
      return [{ type: 'SshKeyAdded', data: { key_id: key.id, name: key.name, fingerprint: key.fingerprint, public_key: key.publicKey }, ...meta }];
    }
    case 'RemoveSshKey':
      if (!state.keys.some((k) => k.id === command.keyId)) throw new NotFoundError(`No SSH key with id ${command.keyId}.`);
      return [{ type: 'SshKeyRemoved', data: { key_id: command.keyId }, ...meta }];
  }
}

function evolve(state: SshKeysState, event: SshKeyEvent): SshKeysState {
  switch (event.type) {
    case 'SshKeyAdded': {
      const { key_id, name, fingerprint, public_key } = event.data;
      return { keys: [...state.keys, { id: key_id, name, fingerprint, publicKey: public_key, createdAt: event.at }] };
    }
    case 'SshKeyRemoved':
      return { keys: state.keys.filter((k) => k.id !== event.data.key_id) };
  }
}

export const sshKeysDecider: Decider<SshKeyCommand, SshKeyEvent, SshKeysState> = { initialState: { keys: [] }, decide, evolve };
