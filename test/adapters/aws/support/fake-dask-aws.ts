/**
 * ECS and Cloud Map as aws-sdk-client-mock fakes that keep state (tasks that run, registered
 * task definitions, services and their instances), for the tests of the Dask runtime and of the
 * reconciler that drives it.
 */
import {
  ClientException,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type RegisterTaskDefinitionCommandInput,
  type Task,
} from '@aws-sdk/client-ecs';
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DeregisterInstanceCommand,
  ListInstancesCommand,
  ListServicesCommand,
  RegisterInstanceCommand,
  ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import { CreateSecretCommand, DeleteSecretCommand, ResourceExistsException, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { DaskTlsSecrets } from '../../../../shared/adapters/aws/dask/dask-tls-secrets.ts';

const mockEcs = () => mockClient(ECSClient);
const mockDiscovery = () => mockClient(ServiceDiscoveryClient);
const mockSecretsManager = () => mockClient(SecretsManagerClient);

export const CLUSTER = 'cassini';

export interface FakeDaskAws {
  ecs: ReturnType<typeof mockEcs>;
  discovery: ReturnType<typeof mockDiscovery>;
  /** Tasks by ARN, stopped ones included. */
  tasks: Map<string, Task>;
  /** Registered task definitions by ARN (`family:1`): what RegisterTaskDefinition was given. */
  definitions: Map<string, RegisterTaskDefinitionCommandInput>;
  /** Cloud Map services by id: name and instances (id → IPv4). */
  services: Map<string, { name: string; instances: Map<string, string> }>;
  /**
   * Clusters' security groups as EC2 keeps them, by resource id (`sg-cluster-<id>`); the real
   * adapter, dask-cluster-security-groups.ts, has its own test against an EC2 server.
   */
  clusterGroups: { live: Set<string>; ensure(resourceId: string): Promise<string>; remove(resourceId: string): Promise<boolean>; clusterIds(): Promise<Set<string>> };
  secretsManager: ReturnType<typeof mockSecretsManager>;
  /** Secrets Manager's secrets by name: the clusters' TLS credentials (JSON). */
  secrets: Map<string, string>;
  /** The real adapter over the Secrets Manager fake. */
  tlsSecrets: DaskTlsSecrets;
  /** Tasks ECS means to run. */
  live(): Task[];
  /** What spot reclamation or a crash does to a task. */
  lose(taskId: string): void;
  reset(): void;
}

export function fakeDaskAws(): FakeDaskAws {
  const ecs = mockEcs();
  const discovery = mockDiscovery();
  const secretsManager = mockSecretsManager();
  const secrets = new Map<string, string>();
  const tasks = new Map<string, Task>();
  const definitions = new Map<string, RegisterTaskDefinitionCommandInput>();
  const services = new Map<string, { name: string; instances: Map<string, string> }>();
  let sequence = 0;
  let serviceSequence = 0;
  // ECS answers a repeated client token with the tasks its first request started ("Ensuring idempotency").
  const byClientToken = new Map<string, Task[]>();
  const live = () => [...tasks.values()].filter((t) => t.desiredStatus === 'RUNNING');
  const stopTask = (task: Task | undefined) => task && Object.assign(task, { desiredStatus: 'STOPPED', lastStatus: 'STOPPED' });

  function install(): void {
    ecs.on(RunTaskCommand).callsFake((input) => {
      const repeated = input.clientToken === undefined ? undefined : byClientToken.get(input.clientToken);
      if (repeated) return { tasks: repeated, failures: [] };
      const started = Array.from({ length: input.count ?? 1 }, () => {
        sequence++;
        const task: Task = {
          taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/${CLUSTER}/task${sequence}`,
          group: input.group,
          startedBy: input.startedBy,
          taskDefinitionArn: input.taskDefinition,
          capacityProviderName: input.capacityProviderStrategy?.[0]?.capacityProvider,
          overrides: input.overrides,
          tags: input.tags,
          desiredStatus: 'RUNNING',
          lastStatus: 'RUNNING',
          startedAt: new Date(Date.UTC(2025, 0, 1, 0, sequence)),
          attachments: [{ type: 'ElasticNetworkInterface', details: [{ name: 'privateIPv4Address', value: `10.0.0.${sequence}` }] }],
        };
        tasks.set(task.taskArn!, task);
        return task;
      });
      if (input.clientToken !== undefined) byClientToken.set(input.clientToken, started);
      return { tasks: started, failures: [] };
    });
    ecs.on(ListTasksCommand).callsFake((input) => ({ taskArns: live().filter((t) => input.startedBy === undefined || t.startedBy === input.startedBy).map((t) => t.taskArn!) }));
    ecs.on(DescribeTasksCommand).callsFake((input) => ({ tasks: (input.tasks as string[]).map((arn) => tasks.get(arn)!).filter(Boolean) }));
    ecs.on(RegisterTaskDefinitionCommand).callsFake((input: RegisterTaskDefinitionCommandInput) => {
      const taskDefinitionArn = `arn:aws:ecs:eu-west-1:123456789012:task-definition/${input.family}:1`;
      definitions.set(taskDefinitionArn, input);
      return { taskDefinition: { taskDefinitionArn, status: 'ACTIVE' } };
    });
    ecs.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => {
      const taskDefinitionArn = [...definitions.keys()].find((arn) => arn.endsWith(`/${input.taskDefinition}:1`));
      // What ECS answers for a family with no active revision.
      if (!taskDefinitionArn) throw new ClientException({ message: 'Unable to describe task definition.', $metadata: {} });
      return { taskDefinition: { taskDefinitionArn, status: 'ACTIVE' } };
    });
    ecs.on(StopTaskCommand).callsFake((input) => ({ task: stopTask([...tasks.values()].find((t) => t.taskArn!.endsWith(`/${input.task}`))) }));
    discovery.on(CreateServiceCommand).callsFake((input) => {
      const existing = [...services].find(([, s]) => s.name === input.Name);
      if (existing) throw Object.assign(new Error('exists'), { name: 'ServiceAlreadyExists', ServiceId: existing[0] });
      const id = `srv-${++serviceSequence}`;
      services.set(id, { name: input.Name!, instances: new Map() });
      return { Service: { Id: id, Name: input.Name } };
    });
    discovery.on(ListServicesCommand).callsFake(() => ({ Services: [...services].map(([Id, s]) => ({ Id, Name: s.name })) }));
    discovery.on(ListInstancesCommand).callsFake((input) => {
      const service = services.get(input.ServiceId!);
      if (!service) throw Object.assign(new Error('no service'), { name: 'ServiceNotFound' });
      return { Instances: [...service.instances].map(([Id, ip]) => ({ Id, Attributes: { AWS_INSTANCE_IPV4: ip } })) };
    });
    discovery.on(RegisterInstanceCommand).callsFake((input) => {
      services.get(input.ServiceId!)!.instances.set(input.InstanceId!, input.Attributes!.AWS_INSTANCE_IPV4!);
      return { OperationId: 'op' };
    });
    discovery.on(DeregisterInstanceCommand).callsFake((input) => {
      services.get(input.ServiceId!)?.instances.delete(input.InstanceId!);
      return { OperationId: 'op' };
    });
    discovery.on(DeleteServiceCommand).callsFake((input) => {
      services.delete(input.Id!);
      return {};
    });
    secretsManager.on(CreateSecretCommand).callsFake((input) => {
      if (secrets.has(input.Name!)) throw new ResourceExistsException({ message: `the secret ${input.Name} already exists`, $metadata: {} });
      secrets.set(input.Name!, input.SecretString!);
      return { ARN: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${input.Name}-AbCdEf`, Name: input.Name };
    });
    secretsManager.on(DeleteSecretCommand).callsFake((input) => {
      if (!secrets.delete(input.SecretId!)) throw new ResourceNotFoundException({ message: `no secret ${input.SecretId}`, $metadata: {} });
      return { Name: input.SecretId };
    });
  }

  const groups = new Set<string>();
  const clusterGroups = {
    live: groups,
    ensure: async (resourceId: string) => (groups.add(resourceId), `sg-cluster-${resourceId}`),
    remove: async (resourceId: string) => (groups.delete(resourceId), true),
    clusterIds: async () => new Set(groups),
  };

  install();
  return {
    ecs,
    discovery,
    tasks,
    definitions,
    services,
    clusterGroups,
    secretsManager,
    secrets,
    tlsSecrets: new DaskTlsSecrets({ client: new SecretsManagerClient({}) }),
    live,
    lose: (taskId) => void stopTask([...tasks.values()].find((t) => t.taskArn!.endsWith(`/${taskId}`))),
    reset() {
      ecs.reset();
      discovery.reset();
      secretsManager.reset();
      secrets.clear();
      tasks.clear();
      definitions.clear();
      services.clear();
      groups.clear();
      byClientToken.clear();
      sequence = 0;
      serviceSequence = 0;
      install();
    },
  };
}
