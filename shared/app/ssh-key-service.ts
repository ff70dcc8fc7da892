/**
 * Users' SSH public keys: the operations of `/api/user/ssh_keys` (a user's own keys; an admin's
 * on anyone's), and the lookup the SSH endpoints authenticate with. Writing a key claims it
 * first (ssh-key-claim-decider.ts), then adds it to the user's list; removing does the reverse,
 * so a key in a user's list is always claimed by that user. A login needs both, so a key removed
 * from the list is refused even if its release was lost in a crash.
 */
import { createHash } from 'node:crypto';
import type { EventStore } from '../ports/event-store.ts';
import type { Clock } from '../ports/platform-clock.ts';
import { loadState, runCommand, type StreamModel } from './command-runner.ts';
import { sshKeysDecider, sshKeysStreamId, type RegisteredSshKey, type SshKeyCommand, type SshKeysState } from '../domain/ssh/ssh-key-decider.ts';
import { sshKeyClaimDecider, sshKeyClaimStreamId, type SshKeyClaimCommand, type SshKeyClaimState } from '../domain/ssh/ssh-key-claim-decider.ts';
import { InvalidSshKeyError, parseSshPublicKey } from '../domain/ssh/ssh-public-key.ts';
import type { SshKeyClaimEvent, SshKeyEvent } from '../../events/ssh-key-events.ts';
import type { User } from '../domain/identity/principal-decider.ts';
import { NotFoundError, ValidationError } from '../domain/errors.ts';
import { isSshKeyClaimEvent, isSshKeyEvent } from '../../events/event-versions.ts';

const SNAPSHOT_SCHEMA = 1;
/** Hex digits of SHA-256 of the key blob that name a key: unique in practice, short in a URL. */
const KEY_ID_DIGITS = 24;

export function sshKeysModel(username: string): StreamModel<SshKeyCommand, SshKeyEvent, SshKeysState> {
  return { streamId: sshKeysStreamId(username), decider: sshKeysDecider, snapshotSchema: SNAPSHOT_SCHEMA, isEvent: isSshKeyEvent };
}

export function sshKeyClaimModel(keyId: string): StreamModel<SshKeyClaimCommand, SshKeyClaimEvent, SshKeyClaimState> {
  return { streamId: sshKeyClaimStreamId(keyId), decider: sshKeyClaimDecider, snapshotSchema: SNAPSHOT_SCHEMA, isEvent: isSshKeyClaimEvent };
}

/** The id of a key, from its wire-format blob (base64). */
export function sshKeyId(blobBase64: string): string {
  return createHash('sha256').update(Buffer.from(blobBase64, 'base64')).digest('hex').slice(0, KEY_ID_DIGITS);
}

/** A key as the API shows it. */
export interface SshKeySummary {
  id: string;
  name: string;
  fingerprint: string;
  public_key: string;
  created_at: string;
}

export interface SshKeyOwner {
  username: string;
  key: RegisteredSshKey;
}

export class SshKeyService {
  constructor(
    private readonly deps: {
      store: EventStore;
      clock: Clock;
      /** Whether a user exists; keys belong to users only. */
      findUser: (username: string) => Promise<User | undefined>;
    },
  ) {}

  async list(actor: User, username: string): Promise<SshKeySummary[]> {
    await this.checkMayManage(actor, username);
    const { state } = await loadState(this.deps.store, sshKeysModel(username));
    return state.keys.map(summary);
  }

  async add(actor: User, username: string, input: { name: string; public_key: string }): Promise<SshKeySummary> {
    await this.checkMayManage(actor, username);
    let parsed;
    try {
      parsed = parseSshPublicKey(input.public_key);
    } catch (error) {
      if (!(error instanceof InvalidSshKeyError)) throw error;
      throw new ValidationError(`public_key: ${error.message}`, [{ path: 'public_key', message: error.message }]);
    }
    const id = sshKeyId(parsed.blob);
    const meta = this.meta(actor.username);
    const key = { id, name: input.name, fingerprint: parsed.fingerprint, publicKey: parsed.openssh };
    // Refused by the list (a name taken, too many keys) before anything is claimed.
    sshKeysDecider.decide({ kind: 'AddSshKey', key, ...meta }, (await loadState(this.deps.store, sshKeysModel(username))).state);
    await runCommand(this.deps.store, sshKeyClaimModel(id), { kind: 'ClaimSshKey', username, keyId: id, ...meta });
    const outcome = await runCommand(this.deps.store, sshKeysModel(username), { kind: 'AddSshKey', key, ...meta });
    return summary(outcome.state.keys.find((k) => k.id === id)!);
  }

  async remove(actor: User, username: string, keyId: string): Promise<void> {
    await this.checkMayManage(actor, username);
    const meta = this.meta(actor.username);
    await runCommand(this.deps.store, sshKeysModel(username), { kind: 'RemoveSshKey', keyId, ...meta });
    await runCommand(this.deps.store, sshKeyClaimModel(keyId), { kind: 'ReleaseSshKey', username, keyId, ...meta });
  }

  /**
   * Whose key this wire-format blob (base64) is, for an SSH login: undefined when no user holds
   * it now. Two reads: the key's claim, then the claiming user's list.
   */
  async ownerOf(blobBase64: string): Promise<SshKeyOwner | undefined> {
    const id = sshKeyId(blobBase64);
    const { state: claim } = await loadState(this.deps.store, sshKeyClaimModel(id));
    if (claim === null) return undefined;
    const { state } = await loadState(this.deps.store, sshKeysModel(claim.username));
    const key = state.keys.find((k) => k.id === id);
    // The whole key must match, not only the id derived from it.
    if (key === undefined || key.publicKey.split(' ')[1] !== Buffer.from(blobBase64, 'base64').toString('base64')) return undefined;
    return { username: claim.username, key };
  }

  /** A user's own keys, or an admin on anyone's; someone else's are reported missing, so names do not leak. */
  private async checkMayManage(actor: User, username: string): Promise<void> {
    if (!actor.admin && actor.username !== username) throw new NotFoundError(`No user named ${username}.`);
    if (!(await this.deps.findUser(username))) throw new NotFoundError(`No user named ${username}.`);
  }

  private meta(actor: string): { at: string; actor: string } {
    return { at: this.deps.clock.now().toISOString(), actor };
  }
}

function summary(key: RegisteredSshKey): SshKeySummary {
  return { id: key.id, name: key.name, fingerprint: key.fingerprint, public_key: key.publicKey, created_at: key.createdAt };
}
