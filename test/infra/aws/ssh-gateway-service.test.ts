/**
 * The SSH gateway's service on AWS (infra/aws/constructs/ssh-gateway-service.ts) and the
 * admission function it asks, in the synthesized template: two Fargate tasks registered in the
 * load balancer's target group, the code fetched from its S3 asset and pinned by hash, and the
 * roles, each allowed exactly what its code sends and nothing else. Then the bundles: the
 * gateway's program and its loader, real, as the stack builds them.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { Stack } from 'aws-cdk-lib';
import { DEFAULT_EDGE_IMAGE, INLINE_CODE_LOADER } from '../../../shared/adapters/aws/services/edge-sidecar.ts';
import { GATEWAY_CONTAINER, GATEWAY_ENTRY, GATEWAY_TASKS, encodedGatewayLoader } from '../../../infra/aws/constructs/ssh-gateway-service.ts';
import { GATEWAY_SSH_PORT } from '../../../infra/aws/constructs/ssh-gateway.ts';
import { bundleSshGateway } from '../../../infra/aws/function-bundle.ts';
import { runCommonJs, verifiedCode } from '../../../infra/aws/ssh-gateway/bundle-loader.ts';
import { DOMAIN_CONTEXT, getAtt, logicalId, ref, synthCassini } from './support/synth.ts';
import { checkLeastPrivilege, roleStatements } from './support/least-privilege.ts';

/** "Amazon ECS endpoints and quotas" (AWS General Reference, https://docs.aws.amazon.com/general/latest/gr/ecs-service.html): task definition size, 64 KiB, not adjustable. */
const TASK_DEFINITION_MAX_BYTES = 64 * 1024;
/** The gateway's code is an S3 object, not a Lambda bundle, but is held to the same 1 MB the project holds its bundles to. */
const GATEWAY_BUNDLE_BUDGET = 1024 * 1024;

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

describe('ssh-gateway-service.ts', () => {
  const synth = synthCassini({ ...DOMAIN_CONTEXT, sshPort: '22' });
  const { json, stack, template } = synth;
  const gateway = stack.sshGateway!;
  const service = stack.sshGatewayService!;
  const admission = stack.sshAdmission!;
  const resolve = (value: unknown) => Stack.of(stack).resolve(value);
  const container = () => {
    const definition = json.Resources[logicalId(service.taskDefinition)]!.Properties!;
    return { definition, container: (definition.ContainerDefinitions as Array<Record<string, unknown>>)[0]! };
  };

  it('exists with sshPort only', () => {
    const plain = synthCassini();
    expect(plain.stack.sshGatewayService).toBeUndefined();
    expect(plain.stack.sshAdmission).toBeUndefined();
  });

  it('runs two Fargate tasks (never Spot) in the private subnets and the gateway\'s group, spread across Availability Zones by ECS', () => {
    // "Schedule your containers on Amazon ECS" (Amazon ECS Developer Guide): "By default, the
    // service scheduler spreads tasks across multiple Availability Zones" — so no placement
    // strategy is set, and two tasks land in two zones.
    const props = json.Resources[logicalId(service.service)]!.Properties!;
    expect(props).toMatchObject({
      Cluster: ref(stack.compute.cluster),
      DesiredCount: GATEWAY_TASKS,
      CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
      NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'DISABLED', SecurityGroups: [getAtt(gateway.securityGroup, 'GroupId')] } },
      DeploymentConfiguration: { MinimumHealthyPercent: 50, DeploymentCircuitBreaker: { Enable: true, Rollback: true } },
    });
    expect(GATEWAY_TASKS).toBeGreaterThanOrEqual(2);
    expect(props.PlacementStrategies).toBeUndefined();
    const subnets = JSON.stringify((props.NetworkConfiguration as { AwsvpcConfiguration: { Subnets: unknown } }).AwsvpcConfiguration.Subnets);
    for (const subnet of stack.compute.vpc.privateSubnets) expect(subnets).toContain(JSON.stringify(resolve(subnet.subnetId)));
    for (const subnet of stack.compute.vpc.publicSubnets) expect(subnets).not.toContain(JSON.stringify(resolve(subnet.subnetId)));
  });

  it('registers its tasks in the load balancer\'s target group, on the gateway container\'s SSH port', () => {
    const props = json.Resources[logicalId(service.service)]!.Properties!;
    expect(props.LoadBalancers).toEqual([{ ContainerName: GATEWAY_CONTAINER, ContainerPort: GATEWAY_SSH_PORT, TargetGroupArn: ref(gateway.targetGroup) }]);
    expect(container().container.PortMappings).toEqual([{ ContainerPort: GATEWAY_SSH_PORT, Protocol: 'tcp' }]);
  });

  it('runs the pinned Node.js image as its unprivileged user, read-only, with a health check on the SSH port and logs of its own', () => {
    const { container: gatewayContainer, definition } = container();
    expect(gatewayContainer).toMatchObject({
      Name: GATEWAY_CONTAINER,
      Image: DEFAULT_EDGE_IMAGE,
      User: '1000',
      ReadonlyRootFilesystem: true,
      Essential: true,
      EntryPoint: ['node', '-e', INLINE_CODE_LOADER],
      HealthCheck: { Command: ['CMD', 'node', '-e', expect.stringContaining(`connect(${GATEWAY_SSH_PORT},'127.0.0.1')`)] },
      LogConfiguration: { LogDriver: 'awslogs', Options: { 'awslogs-group': ref(service.logGroup) } },
    });
    expect(DEFAULT_EDGE_IMAGE).toMatch(/:\d+\.\d+\.\d+-/);
    expect(definition).toMatchObject({ RequiresCompatibilities: ['FARGATE'], NetworkMode: 'awsvpc', RuntimePlatform: { CpuArchitecture: 'ARM64' } });
    expect(JSON.stringify(definition).length).toBeLessThan(TASK_DEFINITION_MAX_BYTES);
  });

  it('tells its loader the code object and the SHA-256 it must have, and the gateway the secret, function and cluster by name (no secret value)', () => {
    const environment = Object.fromEntries((container().container.Environment as Array<{ Name: string; Value: unknown }>).map((e) => [e.Name, e.Value]));
    expect(environment).toEqual({
      GATEWAY_CODE_BUCKET: resolve(service.code.s3BucketName),
      GATEWAY_CODE_KEY: resolve(service.code.s3ObjectKey),
      GATEWAY_CODE_SHA256: service.codeSha256,
      AWS_REGION: resolve(stack.region),
      HOST_KEY_SECRET: resolve(gateway.hostKeySeed.secretName),
      ADMISSION_FUNCTION: ref(admission.fn),
      ECS_CLUSTER: ref(stack.compute.cluster),
      SSH_PORT: String(GATEWAY_SSH_PORT),
    });
    expect(service.codeSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('lets the gateway\'s task role do exactly its work: the host key, agent secrets, the cluster\'s tasks, the admission function, its code object', () => {
    // "Actions, resources, and condition keys for Amazon Elastic Container Service" (Service
    // Authorization Reference): ListTasks takes no task resource, so `*` with the ecs:cluster
    // condition; DescribeTasks is scoped to the cluster's task ARNs. Secrets Manager adds a
    // random suffix to every secret's ARN, hence the trailing `*` after the contract's name.
    const statements = roleStatements(json.Resources, logicalId(gateway.taskRole)) as Statement[];
    const grants = statements.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).flatMap((resource) => (Array.isArray(s.Action) ? s.Action : [s.Action]).map((action) => ({ effect: s.Effect, action, resource: JSON.stringify(resource), condition: s.Condition }))));
    const cluster = { ArnEquals: { 'ecs:cluster': getAtt(stack.compute.cluster) } };
    expect(grants.map((g) => g.effect)).toEqual(grants.map(() => 'Allow'));
    expect(grants.map(({ action, resource, condition }) => ({ action, resource, condition }))).toEqual(
      expect.arrayContaining([
        { action: 'secretsmanager:GetSecretValue', resource: JSON.stringify(ref(gateway.hostKeySeed)), condition: undefined },
        { action: 'secretsmanager:GetSecretValue', resource: expect.stringMatching(/:secret:cassini\/\*\/_ssh-\*"/), condition: undefined },
        { action: 'ecs:ListTasks', resource: '"*"', condition: cluster },
        { action: 'ecs:DescribeTasks', resource: expect.stringContaining(':task/'), condition: cluster },
        { action: 'lambda:InvokeFunction', resource: JSON.stringify(getAtt(admission.fn)), condition: undefined },
        { action: 's3:GetObject', resource: expect.stringContaining(JSON.stringify(resolve(service.code.s3ObjectKey)).slice(1, -1)), condition: undefined },
      ]),
    );
    expect(grants).toHaveLength(6);
    const resourceOf = (action: string) => grants.find((g) => g.action === action)!.resource;
    // The unqualified function ARN alone: no version or alias (`:*`) of it, no other function.
    expect(resourceOf('lambda:InvokeFunction')).not.toContain(':*');
    // No table, no other secret, nothing written.
    expect(JSON.stringify(statements)).not.toMatch(/dynamodb:|Put|Create|Delete/);
  });

  it('lets no other role invoke the admission function', () => {
    const invokers = Object.entries(json.Resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .filter(([id]) => roleStatements(json.Resources, id, ['service-role/AWSLambdaBasicExecutionRole']).some((s) => JSON.stringify(s).includes('lambda:InvokeFunction') && JSON.stringify(s.Resource).includes(logicalId(admission.fn))));
    expect(invokers.map(([id]) => id)).toEqual([logicalId(gateway.taskRole)]);
  });

  it('lets the execution role write the container\'s logs and nothing else (the image is public)', () => {
    const executionRole = (json.Resources[logicalId(service.taskDefinition)]!.Properties!.ExecutionRoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = roleStatements(json.Resources, executionRole) as Statement[];
    expect(statements).toEqual([{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: getAtt(service.logGroup) }]);
  });

  it('gives the admission function exactly what its code sends: the events table, read and append, no views', () => {
    const report = checkLeastPrivilege(synth, admission);
    expect({ missing: report.missing, excess: report.excess }).toEqual({ missing: [], excess: [] });
    expect(report.sent.filter((c) => c.table).every((c) => c.table === 'events')).toBe(true);
    const env = (json.Resources[logicalId(admission.fn)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.EVENTS_TABLE).toEqual(ref(stack.eventStore.events));
    expect(env.VIEWS_TABLE).toBeUndefined();
  });

  it('gives the API the gateway\'s host and port, so state.ssh is the ssh command', () => {
    const env = (json.Resources[logicalId(stack.api.handler.fn)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env).toMatchObject({ SSH_GATEWAY_HOST: getAtt(gateway.loadBalancer, 'DNSName'), SSH_GATEWAY_PORT: '22' });
    expect(template.toJSON()).toBeDefined();
  });
});

describe('the gateway\'s code delivery', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cassini-gateway-bundle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('bundles the gateway into one file under the budget, and its loader small enough to ride in the task definition', () => {
    const bundle = readFileSync(bundleSshGateway(GATEWAY_ENTRY, join(dir, 'gateway.cjs')));
    expect(bundle.length).toBeLessThan(GATEWAY_BUNDLE_BUDGET);
    const loader = encodedGatewayLoader();
    expect(loader.length).toBeLessThan(8 * 1024);
    // The command's code is the loader, as `node -e INLINE_CODE_LOADER` decodes it.
    expect(gunzipSync(Buffer.from(loader, 'base64')).toString()).toContain('GATEWAY_CODE_SHA256');
  });

  it('runs code whose SHA-256 is the pinned one, and refuses any other', () => {
    const code = Buffer.from('globalThis.cassiniLoaderRan = require("node:path").sep;');
    const sha256 = createHash('sha256').update(code).digest('hex');
    expect(() => verifiedCode(Buffer.concat([code, Buffer.from(' ')]), sha256)).toThrow(/not the [0-9a-f]{64} its task definition pins/);
    runCommonJs(verifiedCode(code, sha256), 'test.cjs');
    expect((globalThis as { cassiniLoaderRan?: string }).cassiniLoaderRan).toBe('/');
    delete (globalThis as { cassiniLoaderRan?: string }).cassiniLoaderRan;
  });
});
