/**
 * The gateway's way to the platform: the admission function (functions/ssh-admission), invoked
 * synchronously with the requests of shared/domain/ssh/ssh-admission-protocol.ts. The gateway's
 * role may invoke this one function and holds no other right on the platform. A function error
 * or an answer that is not one of the protocol's is an error here, which the gateway takes as a
 * refusal (a login is refused, a session not opened).
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type * as z from 'zod';
import { sessionEndedResponseSchema, sshAdmissionResponseSchema, type GatewayAdmission, type SshAdmissionRequest } from '../../../shared/domain/ssh/ssh-admission-protocol.ts';
import type { GatewayAdmissions } from './gateway-server.ts';

export function lambdaAdmissions(lambda: LambdaClient, functionName: string): GatewayAdmissions {
  async function invoke<S extends z.ZodType>(request: SshAdmissionRequest, schema: S): Promise<z.infer<S>> {
    const response = await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(request)) }));
    const body = response.Payload === undefined ? '' : new TextDecoder().decode(response.Payload);
    if (response.FunctionError !== undefined) throw new Error(`the SSH admission function failed (${response.FunctionError}) on a ${request.kind} request`);
    const parsed = schema.safeParse(JSON.parse(body || 'null'));
    if (!parsed.success) throw new Error(`the SSH admission function answered a ${request.kind} request with something else than the protocol's answer`);
    return parsed.data;
  }
  const admission = (answer: z.infer<typeof sshAdmissionResponseSchema>): GatewayAdmission | undefined => (answer.admitted ? answer.admission : undefined);
  return {
    admit: async (login, keyBlob) => admission(await invoke({ kind: 'admit', login, keyBlob }, sshAdmissionResponseSchema)),
    sessionStarted: async (login, keyBlob, session) => admission(await invoke({ kind: 'session-started', login, keyBlob, session }, sshAdmissionResponseSchema)),
    sessionEnded: async (login, username, session) => {
      await invoke({ kind: 'session-ended', login, username, session }, sessionEndedResponseSchema);
    },
  };
}
