/**
 * The SSH gateway's Fargate service (with context `sshPort` only, beside the entry point of
 * ssh-gateway.ts): two tasks of infra/aws/ssh-gateway/main.ts in the platform's cluster, in the
 * private subnets, in the gateway's security group, registered as IP targets of the load
 * balancer's target group on GATEWAY_SSH_PORT. ECS spreads a service's tasks across
 * Availability Zones ("Amazon ECS task placement strategies": the service scheduler spreads
 * tasks across Availability Zones by default), so a zone's loss leaves one gateway serving.
 *
 * Code delivery without Docker: the gateway's bundle (too big for a task definition's 64 KiB)
 * is an S3 asset; the container runs a pinned public Node.js image whose command carries a
 * small loader (bundle-loader.ts) that fetches exactly that object with the task role and runs
 * it only if its SHA-256 is the one pinned here. Synthesis stays offline: esbuild runs locally.
 *
 * The task role, least privilege (test/infra/aws/ssh-gateway-service.test.ts proves each):
 * - the host-key seed secret (ssh-gateway.ts grants it);
 * - `secretsmanager:GetSecretValue` on the workspaces' agent secrets, `cassini/<owner>/_ssh-<id>`,
 *   nothing else of the prefix (the contract with the agent);
 * - `ecs:ListTasks` with the `ecs:cluster` condition and `ecs:DescribeTasks` on the cluster's
 *   tasks, to find a workspace's task and its address;
 * - `lambda:InvokeFunction` on the admission function alone: the gateway holds no table rights;
 * - `s3:GetObject` on its own code object.
 * The execution role writes the container's logs only (the image is public).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { PLATFORM_SECRET_PREFIX } from '../config.ts';
import { bundleSshGateway } from '../function-bundle.ts';
import { acknowledgeGrantedWildcard } from '../nag.ts';
import { DEFAULT_EDGE_IMAGE, encodeEdgeCode, INLINE_CODE_LOADER } from '../../../shared/adapters/aws/services/edge-sidecar.ts';
import { SSH_AGENT_SECRET_PREFIX } from '../../../shared/adapters/aws/ssh/ssh-agent-contract.ts';
import { GATEWAY_SSH_PORT } from '../ssh-gateway/ssh-ports.ts';
import type { Compute } from './compute.ts';
import type { SshGateway } from './ssh-gateway.ts';

/** The gateway's program and the loader that fetches it, relative to the repository root. */
export const GATEWAY_ENTRY = 'infra/aws/ssh-gateway/main.ts';
export const GATEWAY_LOADER_ENTRY = 'infra/aws/ssh-gateway/loader-main.ts';
/** The file name of the bundle in its asset (and so the S3 object's extension). */
export const GATEWAY_CODE_FILE = 'ssh-gateway.cjs';
/** One per Availability Zone of the platform's two at least. */
export const GATEWAY_TASKS = 2;
export const GATEWAY_CONTAINER = 'gateway';
/** The Node.js image's unprivileged user: the gateway's port is above 1024. */
const GATEWAY_USER = '1000';

export interface SshGatewayServiceProps {
  gateway: SshGateway;
  compute: Compute;
  /** What the gateway asks the platform through (functions/ssh-admission). */
  admission: lambda.IFunction;
  /** A pinned public image with Node.js 22; the edge sidecar's unless given. */
  image?: string;
}

/** The gateway's code at synth: bundled and hashed, or a stand-in when the stack is synthesized without bundling (tests). */
function gatewayCode(bundle: boolean): { file: string; sha256: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cassini-ssh-gateway-'));
  const file = join(dir, GATEWAY_CODE_FILE);
  if (bundle) bundleSshGateway(GATEWAY_ENTRY, file);
  else writeFileSync(file, '// not bundled: this stack was synthesized with bundling skipped\n');
  return { file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
}

/** The loader, small enough to ride in the container's command (gzip, base64). */
export function encodedGatewayLoader(): string {
  const file = bundleSshGateway(GATEWAY_LOADER_ENTRY, join(mkdtempSync(join(tmpdir(), 'cassini-ssh-loader-')), 'loader.cjs'));
  return encodeEdgeCode(readFileSync(file));
}

export class SshGatewayService extends Construct {
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly code: s3assets.Asset;
  /** SHA-256 (hex) of the code object, pinned in the task definition. */
  readonly codeSha256: string;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: SshGatewayServiceProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { gateway, compute } = props;
    const code = gatewayCode(stack.bundlingRequired);
    this.codeSha256 = code.sha256;
    this.code = new s3assets.Asset(this, 'Code', { path: code.file });

    const role = gateway.taskRole;
    const agentSecrets = stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${PLATFORM_SECRET_PREFIX}*/${SSH_AGENT_SECRET_PREFIX}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [agentSecrets] }));
    acknowledgeGrantedWildcard(role, agentSecrets, `Each workspace's agent secret is created at run time as ${PLATFORM_SECRET_PREFIX}<owner>/${SSH_AGENT_SECRET_PREFIX}<resource id> (Secrets Manager adds a random suffix): reading is allowed on those names only.`);
    compute.grantListTasks(role);
    compute.grantDescribeTasks(role);
    acknowledgeGrantedWildcard(role, stack.formatArn({ service: 'ecs', resource: 'task', resourceName: `${compute.cluster.clusterName}/*` }), 'Task ids are chosen by ECS at launch: describing is allowed on the tasks of this cluster only.');
    role.addToPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.admission.functionArn] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.code.bucket.arnForObjects(this.code.s3ObjectKey)] }));

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const executionRole = new iam.Role(this, 'ExecutionRole', {
      description: 'Cassini SSH gateway: ECS writes its container logs, nothing more (the image is public)',
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': stack.account } }),
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      taskRole: role,
      executionRole,
    });
    this.taskDefinition.addContainer(GATEWAY_CONTAINER, {
      image: ecs.ContainerImage.fromRegistry(props.image ?? DEFAULT_EDGE_IMAGE),
      essential: true,
      user: GATEWAY_USER,
      readonlyRootFilesystem: true,
      entryPoint: ['node', '-e', INLINE_CODE_LOADER],
      command: [encodedGatewayLoader()],
      environment: {
        GATEWAY_CODE_BUCKET: this.code.s3BucketName,
        GATEWAY_CODE_KEY: this.code.s3ObjectKey,
        GATEWAY_CODE_SHA256: code.sha256,
        AWS_REGION: stack.region,
        HOST_KEY_SECRET: gateway.hostKeySeed.secretName,
        ADMISSION_FUNCTION: props.admission.functionName,
        ECS_CLUSTER: compute.cluster.clusterName,
        SSH_PORT: String(GATEWAY_SSH_PORT),
      },
      portMappings: [{ containerPort: GATEWAY_SSH_PORT, protocol: ecs.Protocol.TCP }],
      healthCheck: {
        command: ['CMD', 'node', '-e', `require('net').connect(${GATEWAY_SSH_PORT},'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))`],
        interval: Duration.seconds(10),
        timeout: Duration.seconds(3),
        retries: 3,
        startPeriod: Duration.seconds(20),
      },
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'ssh-gateway' }),
    });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: compute.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: GATEWAY_TASKS,
      // Plain Fargate, never Spot: an interrupted gateway drops every session through it.
      capacityProviderStrategies: [{ capacityProvider: 'FARGATE', weight: 1 }],
      securityGroups: [gateway.securityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      // One gateway keeps serving while the other is replaced.
      minHealthyPercent: 50,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      healthCheckGracePeriod: Duration.seconds(60),
    });
    gateway.targetGroup.addTarget(this.service.loadBalancerTarget({ containerName: GATEWAY_CONTAINER, containerPort: GATEWAY_SSH_PORT }));
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'The environment holds names only (bucket, object key, its hash, the secret and function names, the cluster): no secret value.',
    });
  }
}
