/**
 * Lambda entry point the SSH gateway invokes (infra/aws/ssh-gateway/admission-client.ts): may
 * this login with this key open a session, and the session's start and end on the workspace
 * (shared/app/ssh-admission.ts, the same SshGate as the local endpoint). It exists so that the
 * gateway, a long-running task facing the internet, holds no rights on the platform's tables:
 * its role may invoke this one function, whose own role reads and appends to the events table
 * only (EVENTS_TABLE; no views are read). Nothing in a request or answer is secret (a login, a
 * public key, a client address), and a failure throws, which the gateway takes as a refusal.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { systemClock, systemRandom } from '../../shared/adapters/node-platform.ts';
import { requiredEnv } from '../../shared/adapters/required-env.ts';
import type { SshGate } from '../../shared/app/ssh-gate.ts';
import { answerSshAdmission, sshGateOver } from '../../shared/app/ssh-admission.ts';
import { observed, telemetryFor } from '../observability.ts';

const telemetry = telemetryFor('ssh-admission');

let gate: SshGate | undefined;

function buildGate(): SshGate {
  const store = new DynamoEventStore({ client: new DynamoDBClient({}), tableName: requiredEnv(process.env, 'EVENTS_TABLE') });
  return sshGateOver({ store, clock: systemClock, random: systemRandom });
}

export const handler = observed(telemetry, async (event: unknown) => {
  gate ??= buildGate();
  return answerSshAdmission(gate, event);
});
