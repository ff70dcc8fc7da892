/**
 * A deployment whose ECS service is still being deleted (`DRAINING`) cannot be created again
 * until ECS has removed it: CreateService fails for a service name that is DRAINING, and
 * UpdateService only acts on ACTIVE services (CreateService / UpdateService, Amazon ECS API
 * Reference). The consumers Lambda must defer that one resource, not fail the batch (which
 * would hold every later record of the shard for up to eleven attempts), and create the
 * service when the retry runs once it is gone. ECS is aws-sdk-client-mock; the store is dynalite.
 */
import { CreateServiceCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand, type Service } from '@aws-sdk/client-ecs';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reactToRecords } from '../../../functions/reactor/handler.ts';
import { EcsServiceRuntime } from '../../../shared/adapters/aws/services/ecs-service-runtime.ts';
import { EcsTaskDefinitions } from '../../../shared/adapters/aws/tasks/ecs-task-definitions.ts';
import { NO_INGRESS, NO_SIGN_IN } from '../../../shared/adapters/aws/services/ecs-service-platform.ts';
import { serviceNameFor } from '../../../shared/adapters/aws/services/service-names.ts';
import { encodeBatch } from '../../../shared/adapters/dynamodb/batch-item.ts';
import { ServiceReactor } from '../../../shared/app/consumers/service-reactor.ts';
import { ResourceService } from '../../../shared/app/resource-service.ts';
import type { User } from '../../../shared/domain/identity/principal-decider.ts';
import { resourceStreamId } from '../../../shared/domain/resource/resource-identity.ts';
import type { CommittedBatch } from '../../../shared/ports/event-store.ts';
import { startJobRuns, type JobRunsFixture } from '../../adapters/aws/support/job-runs-on-dynalite.ts';
import { pipelineWith } from './support/pipeline.ts';

const client = new ECSClient({ region: 'eu-west-1' });
const ecs = mockClient(client);
const ann: User = { username: 'ann', email: null, groups: [], admin: false };

let f: JobRunsFixture;

beforeAll(async () => {
  f = await startJobRuns();
});

afterAll(async () => {
  await f.dynamo.close();
});

function record(batch: CommittedBatch, sequence: number): DynamoDBRecord {
  return { eventName: 'INSERT', dynamodb: { NewImage: encodeBatch({ ...batch, recentCommands: [] }) as never, SequenceNumber: String(sequence) } };
}

/** Applies and starts a deployment; returns its resource id and the batches its stream committed. */
async function startedDeployment(resources: ResourceService, name: string): Promise<{ id: string; batches: CommittedBatch[] }> {
  const { recipe } = await resources.apply(ann, { type: 'deployment', spec: { name, command: 'python serve.py' } }, { createOnly: true });
  const id = recipe.state.id as string;
  await resources.act(ann, 'deployments', id, 'start');
  return { id, batches: await f.store.batchesAfter(resourceStreamId('deployment', 'ann', name), 0) };
}

describe('consumers Lambda: a deployment whose ECS service is draining', () => {
  it('defers that resource without failing the batch, serves the others, and creates it once ECS has removed the old service', async () => {
    // Prepare
    const resources = new ResourceService({ store: f.store, views: f.views, clock: f.clock, routeUrl: (s) => `https://${s}.apps.example.com/`, principalExists: async () => true });
    const draining = await startedDeployment(resources, 'alpha');
    const fresh = await startedDeployment(resources, 'beta');
    const services = new Map<string, Service>([[serviceNameFor(draining.id), { serviceName: serviceNameFor(draining.id), status: 'DRAINING' }]]);
    ecs.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({ services: input.services.flatMap((name) => services.get(name) ?? []) }));
    ecs.on(DescribeTaskDefinitionCommand).rejects(Object.assign(new Error('Unable to describe task definition.'), { name: 'ClientException' }));
    ecs.on(RegisterTaskDefinitionCommand).callsFake((input: { family: string }) => ({ taskDefinition: { taskDefinitionArn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${input.family}:1` } }));
    ecs.on(CreateServiceCommand).resolves({});
    const runtime = new EcsServiceRuntime({
      client,
      cluster: 'cassini',
      subnets: ['subnet-0a1b2c3d'],
      securityGroups: ['sg-0123456789abcdef0'],
      gpuCapacityProviders: {},
      definitions: new EcsTaskDefinitions({ client, executionRoleArn: 'arn:aws:iam::123456789012:role/exec', taskRoleArn: 'arn:aws:iam::123456789012:role/cassini-workloads/default', logGroup: '/cassini/tasks', region: 'eu-west-1' }),
      // Routed without a load balancer call: the routes are not what this test is about.
      routes: { ...NO_INGRESS, ensure: async () => [] },
      callbacks: NO_SIGN_IN,
      homes: { ensure: async () => 'fsap-0a1b2c3d4e5f60718', removeOf: async () => {} },
      fileSystemId: 'fs-0123456789abcdef0',
      reports: { failed: async () => {}, stopped: async () => {} },
      clock: f.clock,
    });
    const pipeline = pipelineWith(f, { services: new ServiceReactor({ runtime, platformEnvironment: {} }) });
    const created = () => ecs.commandCalls(CreateServiceCommand).map((c) => c.args[0].input.serviceName);

    // Act: one Lambda batch with both resources' records, the draining one first
    const response = await reactToRecords({ Records: [...draining.batches, ...fresh.batches].map((b, i) => record(b, i + 1)) }, { pipeline });

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(created()).toEqual([serviceNameFor(fresh.id)]);

    // Act: the next minute's retry, with the old service still draining, then once ECS removed it
    await pipeline.retryDeferred();
    expect(created()).toEqual([serviceNameFor(fresh.id)]);
    services.delete(serviceNameFor(draining.id));
    const retry = await pipeline.retryDeferred();

    // Assess
    expect(retry).toEqual({ retried: 1, stillDeferred: 0 });
    expect(created()).toEqual([serviceNameFor(fresh.id), serviceNameFor(draining.id)]);
  });
});
