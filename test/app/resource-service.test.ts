import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import type { User } from '../../shared/domain/identity/principal-decider.ts';
import { dynamoServices } from './support/dynamo-services.ts';

let dynamo: EmbeddedDynamo;
const sent: string[] = [];

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  dynamo.client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
});

afterAll(async () => {
  await dynamo.close();
});

const ann: User = { username: 'ann', email: null, groups: [], admin: false };

function services() {
  return dynamoServices(dynamo, { routeUrl: (s) => `http://${s}.localhost/` }).services;
}

describe('commands by id', () => {
  it('check access on the same read they decide on: one Query and one PutItem each (a start also reads the usage limits, in parallel)', async () => {
    // Prepare
    const { resources, runs } = services();
    const { recipe } = await resources.apply(ann, { type: 'job', spec: { name: 'etl', command: 'true' } }, { createOnly: false });
    const id = recipe.state.id as string;
    const { recipe: lab } = await resources.apply(ann, { type: 'workspace', spec: { name: 'lab' } }, { createOnly: false });

    // Act / Assess
    sent.length = 0;
    await resources.act(ann, 'workspaces', lab.state.id as string, 'start');
    expect(sent).toEqual(['QueryCommand', 'QueryCommand', 'PutItemCommand']);

    sent.length = 0;
    await resources.act(ann, 'workspaces', lab.state.id as string, 'stop');
    expect(sent).toEqual(['QueryCommand', 'PutItemCommand']);

    sent.length = 0;
    await resources.setScheduleSuspended(ann, id, false).catch(() => undefined);
    expect(sent).toEqual(['QueryCommand']);

    sent.length = 0;
    await runs.dispatch(ann, id);
    // The job stream and the limits (two reads at once, one write), then the new run's stream (one write: a run id just drawn names no stream yet).
    expect(sent).toEqual(['QueryCommand', 'QueryCommand', 'PutItemCommand', 'PutItemCommand']);
  });
});
