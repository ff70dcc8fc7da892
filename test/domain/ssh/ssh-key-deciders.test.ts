import { describe, it } from 'vitest';
import { deciderSpec } from '../support/decider-spec.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../../shared/domain/errors.ts';
import { MAX_SSH_KEYS_PER_USER, sshKeysDecider, type SshKeyCommand } from '../../../shared/domain/ssh/ssh-key-decider.ts';
import { sshKeyClaimDecider } from '../../../shared/domain/ssh/ssh-key-claim-decider.ts';
import type { SshKeyEvent } from '../../../events/ssh-key-events.ts';

const meta = { at: '2026-12-01T00:00:00.000Z', actor: 'ann' };
const key = (id: string, name: string) => ({ id, name, fingerprint: `SHA256:${id}`, publicKey: `ssh-ed25519 ${id}` });
const add = (id: string, name: string): SshKeyCommand => ({ kind: 'AddSshKey', key: key(id, name), ...meta });
const added = (id: string, name: string): SshKeyEvent => ({ type: 'SshKeyAdded', data: { key_id: id, name, fingerprint: `SHA256:${id}`, public_key: `ssh-ed25519 ${id}` }, ...meta });

const givenKeys = deciderSpec(sshKeysDecider);
const givenClaim = deciderSpec(sshKeyClaimDecider);

describe('SSH keys decider', () => {
  it('adds a key; the same key under the same name again is a no-op', () => {
    givenKeys([]).when(add('k1', 'laptop')).then([added('k1', 'laptop')]);
  });

  it('refuses the same key under another name, and another key under a taken name', () => {
    givenKeys([added('k1', 'laptop')]).when(add('k1', 'desk')).then(ConflictError);
    givenKeys([added('k1', 'laptop')]).when(add('k2', 'laptop')).then(ConflictError);
  });

  it(`refuses more than ${MAX_SSH_KEYS_PER_USER} keys`, () => {
    const many = Array.from({ length: MAX_SSH_KEYS_PER_USER }, (_, i) => added(`k${i}`, `n${i}`));
    givenKeys(many).when(add('extra', 'extra')).then(ValidationError);
  });

  it('removes a key it holds, and says NotFound for one it does not (a retried DELETE is 404)', () => {
    givenKeys([added('k1', 'laptop')]).when({ kind: 'RemoveSshKey', keyId: 'k1', ...meta }).then([{ type: 'SshKeyRemoved', data: { key_id: 'k1' }, ...meta }], { replayDecidesNothing: false });
    givenKeys([]).when({ kind: 'RemoveSshKey', keyId: 'k1', ...meta }).then(NotFoundError);
  });
});

describe('SSH key claim decider', () => {
  const claimed = { type: 'SshKeyClaimed' as const, data: { username: 'ann', key_id: 'k1' }, ...meta };

  it('gives a key to the first user who registers it; the same user again is a no-op', () => {
    givenClaim([]).when({ kind: 'ClaimSshKey', username: 'ann', keyId: 'k1', ...meta }).then([claimed]);
  });

  it("refuses it to anyone else while it is claimed, and frees it once its user releases it", () => {
    givenClaim([claimed]).when({ kind: 'ClaimSshKey', username: 'bob', keyId: 'k1', ...meta }).then(ConflictError);
    givenClaim([claimed]).when({ kind: 'ReleaseSshKey', username: 'bob', keyId: 'k1', ...meta }).then([]);
    const released = { type: 'SshKeyReleased' as const, data: { username: 'ann', key_id: 'k1' }, ...meta };
    givenClaim([claimed]).when({ kind: 'ReleaseSshKey', username: 'ann', keyId: 'k1', ...meta }).then([released]);
    givenClaim([claimed, released]).when({ kind: 'ClaimSshKey', username: 'bob', keyId: 'k1', ...meta }).then([{ ...claimed, data: { username: 'bob', key_id: 'k1' } }]);
  });
});
