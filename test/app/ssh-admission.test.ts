/**
 * What the admission function answers the gateway (shared/app/ssh-admission.ts), given a gate:
 * a malformed request is refused with the field that is wrong and reaches no gate; a session
 * start is admitted again before it is recorded.
 */
import { describe, expect, it, vi } from 'vitest';
import { answerSshAdmission } from '../../shared/app/ssh-admission.ts';
import type { SshAdmission } from '../../shared/app/ssh-gate.ts';
import type { LiveResource } from '../../shared/domain/resource/resource-decider.ts';
import { ValidationError } from '../../shared/domain/errors.ts';

const SESSION = { id: '0b9a4f1e-7c1d-4e5f-8a2b-3c4d5e6f7a8b', from: '203.0.113.7:50123' };
const admission: SshAdmission = {
  user: { username: 'ann', email: null, groups: [], admin: false },
  workspace: { id: 'a'.repeat(32), name: 'lab', owner: 'ann', status: 'running', type: 'workspace' } as unknown as LiveResource,
  publicKey: 'ssh-ed25519 AAAA',
  fingerprint: 'SHA256:x',
};

function gate(admitted: SshAdmission | undefined) {
  return { admit: vi.fn(async () => admitted), sessionStarted: vi.fn(async () => undefined), sessionEndedFor: vi.fn(async () => undefined) };
}

describe('answerSshAdmission', () => {
  it('refuses a malformed request with the field path, touching no gate', async () => {
    const g = gate(admission);
    const refused = answerSshAdmission(g, { kind: 'session-started', login: 'lab.ann', keyBlob: 'AAAA', session: { id: 'not-a-uuid', from: SESSION.from } });
    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toMatchObject({ details: [{ path: 'session.id' }] });
    await expect(answerSshAdmission(g, { kind: 'delete-everything' })).rejects.toThrow(/Not an SSH admission request: kind/);
    expect(g.admit).not.toHaveBeenCalled();
  });

  it('answers an admission with what the gateway needs, and nothing of the user but the name', async () => {
    const answer = await answerSshAdmission(gate(admission), { kind: 'admit', login: 'lab.ann', keyBlob: 'AAAA' });
    expect(answer).toEqual({ admitted: true, admission: { username: 'ann', workspace: { id: 'a'.repeat(32), name: 'lab', owner: 'ann', status: 'running' }, publicKey: 'ssh-ed25519 AAAA', fingerprint: 'SHA256:x' } });
  });

  it('records a session start only for a login admitted again, and an end by login and user', async () => {
    const refused = gate(undefined);
    expect(await answerSshAdmission(refused, { kind: 'session-started', login: 'lab.ann', keyBlob: 'AAAA', session: SESSION })).toEqual({ admitted: false });
    expect(refused.sessionStarted).not.toHaveBeenCalled();
    const admitted = gate(admission);
    await answerSshAdmission(admitted, { kind: 'session-started', login: 'lab.ann', keyBlob: 'AAAA', session: SESSION });
    expect(admitted.sessionStarted).toHaveBeenCalledWith(admission, SESSION);
    expect(await answerSshAdmission(admitted, { kind: 'session-ended', login: 'lab.ann', username: 'ann', session: SESSION })).toEqual({ recorded: true });
    expect(admitted.sessionEndedFor).toHaveBeenCalledWith('lab.ann', 'ann', SESSION);
  });
});
