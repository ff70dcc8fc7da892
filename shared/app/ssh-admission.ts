/**
 * The SSH gateway's questions to the platform on AWS (shared/domain/ssh/ssh-admission-protocol.ts),
 * answered with the same SshGate as the local endpoint: who may log in, and the sessions'
 * start and end on the workspace. What functions/ssh-admission runs, with the event store.
 */
import { SshGate, type SshAdmission } from './ssh-gate.ts';
import { IdentityService } from './identity-service.ts';
import { SshKeyService } from './ssh-key-service.ts';
import type { EventStore } from '../ports/event-store.ts';
import type { Clock, RandomSource } from '../ports/platform-clock.ts';
import { ValidationError } from '../domain/errors.ts';
import { sshAdmissionRequestSchema, type GatewayAdmission, type SessionEndedResponse, type SshAdmissionResponse } from '../domain/ssh/ssh-admission-protocol.ts';

/** The gate over the event store alone: users, keys and workspaces are read from their streams. */
export function sshGateOver(deps: { store: EventStore; clock: Clock; random: RandomSource }): SshGate {
  const identity = new IdentityService(deps);
  const findUser = (username: string) => identity.findUser(username);
  const keys = new SshKeyService({ store: deps.store, clock: deps.clock, findUser });
  return new SshGate({ store: deps.store, clock: deps.clock, ownerOfKey: (blob) => keys.ownerOf(blob), findUser });
}

type Gate = Pick<SshGate, 'admit' | 'sessionStarted' | 'sessionEndedFor'>;

function forGateway(admission: SshAdmission): GatewayAdmission {
  const { user, workspace, publicKey, fingerprint } = admission;
  return { username: user.username, workspace: { id: workspace.id, name: workspace.name, owner: workspace.owner, status: workspace.status }, publicKey, fingerprint };
}

/** Answers one request; a malformed one is a ValidationError naming the field (the gateway then refuses the login). */
export async function answerSshAdmission(gate: Gate, input: unknown): Promise<SshAdmissionResponse | SessionEndedResponse> {
  const parsed = sshAdmissionRequestSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || '(request)', message: issue.message }));
    throw new ValidationError(`Not an SSH admission request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  }
  const request = parsed.data;
  switch (request.kind) {
    case 'admit': {
      const admission = await gate.admit(request.login, request.keyBlob);
      return admission === undefined ? { admitted: false } : { admitted: true, admission: forGateway(admission) };
    }
    case 'session-started': {
      // Admitted again: a session is recorded only for a login the platform admits with this key.
      const admission = await gate.admit(request.login, request.keyBlob);
      if (admission === undefined) return { admitted: false };
      await gate.sessionStarted(admission, request.session);
      return { admitted: true, admission: forGateway(admission) };
    }
    case 'session-ended':
      await gate.sessionEndedFor(request.login, request.username, request.session);
      return { recorded: true };
  }
}
