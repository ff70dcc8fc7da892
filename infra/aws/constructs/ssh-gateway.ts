/**
 * The way in for plain `ssh` on AWS (issue 16): an internet-facing Network Load Balancer that
 * passes TCP on the configured port (context `sshPort`, e.g. 22) to the SSH gateway's tasks,
 * which authenticate by the platform's keys, decide with the same rule as the local endpoint
 * (shared/app/ssh-gate.ts) and forward each admitted session into the workspace's task. Created
 * only when `sshPort` is given.
 *
 * Network, narrowest first:
 * - the load balancer's group admits the SSH port from anywhere (developers' laptops) and sends
 *   only to the gateway's group on GATEWAY_SSH_PORT;
 * - the gateway's group admits only the load balancer's group, and sends SSH only to the tasks'
 *   group on WORKSPACE_SSH_PORT (plus HTTPS out, for the platform API and AWS endpoints);
 * - the tasks' group admits WORKSPACE_SSH_PORT from the gateway's group and from nothing else.
 *
 * Who connected: a target group of IP targets over TCP does not preserve the client's address
 * (the gateway would see the load balancer's), and preserving it would make the gateway's group
 * admit the whole internet. Proxy protocol v2 instead: the load balancer prefixes each
 * connection with the client's address, which the gateway reads and records on the workspace
 * (SshSessionStarted `from`), while only the load balancer can reach it.
 *
 * Host key: an ed25519 key derived from a secret CloudFormation generates once
 * (infra/aws/ssh-gateway/host-key-from-seed.ts), readable by the gateway's task role alone.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PLATFORM_SECRET_PREFIX } from '../config.ts';
import { GATEWAY_SSH_PORT, WORKSPACE_SSH_PORT } from '../ssh-gateway/ssh-ports.ts';

export { GATEWAY_SSH_PORT, WORKSPACE_SSH_PORT };

/**
 * The secret the host key is derived from: outside the platform prefix (`cassini/`), where the
 * API writes users' secrets (`PUT /api/secrets/{name}`), so no API call can overwrite it.
 */
export const HOST_KEY_SECRET_NAME = `${PLATFORM_SECRET_PREFIX.replace(/\/$/, '')}-ssh-gateway/host-key-seed`;
/** Characters of the generated secret: alphanumerics only, ~5.95 bits each, ~380 bits in all. */
export const HOST_KEY_SECRET_LENGTH = 64;

export interface SshGatewayProps {
  vpc: ec2.IVpc;
  /** The port clients connect to. */
  port: number;
  /** The group every platform task runs in; workspace tasks among them serve SSH to the gateway only. */
  tasksSecurityGroup: ec2.ISecurityGroup;
}

export class SshGateway extends Construct {
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  readonly loadBalancerSecurityGroup: ec2.SecurityGroup;
  /** The gateway's tasks run in this group. */
  readonly securityGroup: ec2.SecurityGroup;
  /** The gateway's tasks register here (IP targets on GATEWAY_SSH_PORT). */
  readonly targetGroup: elbv2.NetworkTargetGroup;
  /** The secret the host key is derived from; only `taskRole` reads it. */
  readonly hostKeySeed: secretsmanager.Secret;
  /** What the gateway's code runs as: the host key secret here; the rest its service grants (ssh-gateway-service.ts). */
  readonly taskRole: iam.Role;
  readonly port: number;

  constructor(scope: Construct, id: string, props: SshGatewayProps) {
    super(scope, id);
    this.port = props.port;

    const loadBalancerSecurityGroup = (this.loadBalancerSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: props.vpc,
      description: `Cassini SSH entry point: TCP ${props.port} from anywhere, to the SSH gateway only`,
      allowAllOutbound: false,
    }));
    loadBalancerSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(props.port), 'SSH from developers anywhere');
    const publicEntryPoint = 'A public SSH entry point: users connect from anywhere, and the gateway behind it admits only registered keys of users who may use the workspace.';
    Validations.of(loadBalancerSecurityGroup).acknowledge({ id: 'AwsSolutions-EC23', reason: publicEntryPoint });
    // CloudFormation's own template validation flags SSH open to the internet (W2508), for the same reason.
    Validations.of(loadBalancerSecurityGroup).acknowledge({ id: 'CloudFormation-Validate::W2508', reason: publicEntryPoint });

    const gatewaySecurityGroup = (this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Cassini SSH gateway: from the SSH load balancer only; to workspace tasks on their SSH port and HTTPS',
      allowAllOutbound: false,
    }));
    loadBalancerSecurityGroup.addEgressRule(gatewaySecurityGroup, ec2.Port.tcp(GATEWAY_SSH_PORT), 'To the SSH gateway');
    gatewaySecurityGroup.addIngressRule(loadBalancerSecurityGroup, ec2.Port.tcp(GATEWAY_SSH_PORT), 'From the SSH load balancer (connections and health checks)');
    gatewaySecurityGroup.addEgressRule(props.tasksSecurityGroup, ec2.Port.tcp(WORKSPACE_SSH_PORT), 'To the SSH servers of workspace tasks');
    gatewaySecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'The platform API and AWS endpoints (Secrets Manager)');
    props.tasksSecurityGroup.addIngressRule(gatewaySecurityGroup, ec2.Port.tcp(WORKSPACE_SSH_PORT), 'From the SSH gateway, to workspace SSH servers');

    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroups: [loadBalancerSecurityGroup],
      crossZoneEnabled: true,
    });
    Validations.of(this.loadBalancer).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason: 'A Network Load Balancer writes access logs for TLS listeners only ("Access logs for your Network Load Balancer"); SSH is passed through as TCP, and each session is recorded as events on its workspace by the gateway.',
    });

    this.targetGroup = new elbv2.NetworkTargetGroup(this, 'Gateways', {
      vpc: props.vpc,
      port: GATEWAY_SSH_PORT,
      protocol: elbv2.Protocol.TCP,
      targetType: elbv2.TargetType.IP,
      preserveClientIp: false,
      proxyProtocolV2: true,
      // Open sessions get this long to end when a gateway task is replaced.
      deregistrationDelay: Duration.seconds(30),
      healthCheck: { protocol: elbv2.Protocol.TCP, port: String(GATEWAY_SSH_PORT), interval: Duration.seconds(10), healthyThresholdCount: 2, unhealthyThresholdCount: 2 },
    });
    this.loadBalancer.addListener('Ssh', { port: props.port, protocol: elbv2.Protocol.TCP, defaultTargetGroups: [this.targetGroup] });

    this.hostKeySeed = new secretsmanager.Secret(this, 'HostKeySeed', {
      secretName: HOST_KEY_SECRET_NAME,
      description: 'Cassini SSH gateway: the ed25519 host key is derived from this value (infra/aws/ssh-gateway/host-key-from-seed.ts)',
      generateSecretString: { passwordLength: HOST_KEY_SECRET_LENGTH, excludePunctuation: true, includeSpace: false },
      // A new key would make every client's known_hosts entry a warning of a man in the middle.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.hostKeySeed).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'A host key is not rotated on a schedule: a rotated key breaks every client\'s known_hosts entry. It is replaced deliberately, by replacing the secret.',
    });

    this.taskRole = new iam.Role(this, 'TaskRole', {
      description: 'Cassini SSH gateway tasks: the host key, workspaces\' agent secrets and task addresses, the admission function',
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': Stack.of(this).account } }),
    });
    this.taskRole.addToPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.hostKeySeed.secretArn] }));
  }

  /** `ssh -p <port> <name>.<owner>@<host>`: what `state.ssh` shows on AWS, for the gateway's host. */
  environment(): Record<string, string> {
    return { SSH_GATEWAY_HOST: this.loadBalancer.loadBalancerDnsName, SSH_GATEWAY_PORT: String(this.port) };
  }
}
