/**
 * What the SSH gateway on AWS asks the admission function (functions/ssh-admission) and what it
 * answers: the gateway holds no rights on the event store, so every decision (SshGate.admit) and
 * every session record goes through this one function, which the gateway's role may invoke and
 * nothing else of the platform's. Pure schemas, shared by both sides.
 *
 * A session start is admitted again from the login and key, not taken from the gateway's word,
 * so the gateway can record a session only for a login the platform admits with that key; a
 * session end is recorded only for a session that started (the workspace's decider ignores
 * any other), under the user who started it.
 */
import * as z from 'zod';

const login = z.string().min(1).max(256);
/** A public key's wire-format blob, base64, as the client offered it. */
const keyBlob = z.string().min(1).max(8192);
const session = z.object({
  id: z.uuid(),
  /** `<address>:<port>` of the client, as the load balancer's proxy header gave it. */
  from: z.string().min(1).max(64),
});

export const sshAdmissionRequestSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('admit'), login, keyBlob }).strict(),
  z.object({ kind: z.literal('session-started'), login, keyBlob, session }).strict(),
  z.object({ kind: z.literal('session-ended'), login, username: z.string().min(1).max(256), session }).strict(),
]);
export type SshAdmissionRequest = z.infer<typeof sshAdmissionRequestSchema>;

/** What the gateway needs of an admission: whom to record, which workspace, which key to verify the signature with. */
export const gatewayAdmissionSchema = z.object({
  username: z.string(),
  workspace: z.object({
    id: z.string(),
    name: z.string(),
    owner: z.string(),
    status: z.enum(['pending', 'running', 'stopping', 'stopped', 'error']),
  }),
  /** The registered key: `<type> <base64>`. */
  publicKey: z.string(),
  fingerprint: z.string(),
});
export type GatewayAdmission = z.infer<typeof gatewayAdmissionSchema>;

export const sshAdmissionResponseSchema = z.discriminatedUnion('admitted', [
  z.object({ admitted: z.literal(true), admission: gatewayAdmissionSchema }),
  z.object({ admitted: z.literal(false) }),
]);
export type SshAdmissionResponse = z.infer<typeof sshAdmissionResponseSchema>;

/** The answer to `session-ended`: recorded, or nothing to record (no such session, or no such workspace). */
export const sessionEndedResponseSchema = z.object({ recorded: z.literal(true) });
export type SessionEndedResponse = z.infer<typeof sessionEndedResponseSchema>;
