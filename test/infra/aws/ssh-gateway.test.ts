/**
 * The SSH entry point on AWS (infra/aws/constructs/ssh-gateway.ts) in the synthesized template:
 * the Network Load Balancer and its listener, the gateway's target group, the security groups
 * that let SSH into a workspace task only from the gateway, and the host key secret only the
 * gateway's role reads.
 */
import { describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { GATEWAY_SSH_PORT, HOST_KEY_SECRET_LENGTH, HOST_KEY_SECRET_NAME, WORKSPACE_SSH_PORT } from '../../../infra/aws/constructs/ssh-gateway.ts';
import { EDGE_HEALTH_PORT } from '../../../shared/adapters/aws/services/edge-sidecar.ts';
import { MINIMUM_SEED_LENGTH } from '../../../infra/aws/ssh-gateway/host-key-from-seed.ts';
import { PLATFORM_SECRET_PREFIX } from '../../../infra/aws/config.ts';
import { DOMAIN_CONTEXT, EXISTING_VPC_CONTEXT, getAtt, logicalId, ref, synthCassini } from './support/synth.ts';

type Resources = ReturnType<typeof synthCassini>['json']['Resources'];

interface Rule {
  group: unknown;
  direction: 'in' | 'out';
  peer: unknown;
  fromPort: number;
  toPort: number;
}

/** Every security group rule of the template, inline or standalone, as (group, direction, peer, ports). */
function securityGroupRules(resources: Resources): Rule[] {
  const rules: Rule[] = [];
  const peerOf = (r: Record<string, unknown>) => r.SourceSecurityGroupId ?? r.DestinationSecurityGroupId ?? r.CidrIp ?? r.CidrIpv6 ?? r.SourcePrefixListId ?? r.DestinationPrefixListId;
  for (const [id, resource] of Object.entries(resources)) {
    const p = resource.Properties ?? {};
    if (resource.Type === 'AWS::EC2::SecurityGroup') {
      const group = { 'Fn::GetAtt': [id, 'GroupId'] };
      for (const r of (p.SecurityGroupIngress as Array<Record<string, unknown>> | undefined) ?? []) rules.push({ group, direction: 'in', peer: peerOf(r), fromPort: r.FromPort as number, toPort: r.ToPort as number });
      for (const r of (p.SecurityGroupEgress as Array<Record<string, unknown>> | undefined) ?? []) rules.push({ group, direction: 'out', peer: peerOf(r), fromPort: r.FromPort as number, toPort: r.ToPort as number });
    }
    if (resource.Type === 'AWS::EC2::SecurityGroupIngress') rules.push({ group: p.GroupId, direction: 'in', peer: peerOf(p), fromPort: p.FromPort as number, toPort: p.ToPort as number });
    if (resource.Type === 'AWS::EC2::SecurityGroupEgress') rules.push({ group: p.GroupId, direction: 'out', peer: peerOf(p), fromPort: p.FromPort as number, toPort: p.ToPort as number });
  }
  return rules;
}

const covers = (rule: Rule, port: number) => rule.fromPort <= port && port <= rule.toPort;

describe('ssh-gateway.ts', () => {
  const { template, json, stack } = synthCassini({ ...DOMAIN_CONTEXT, sshPort: '22' });
  const gateway = stack.sshGateway!;
  const rules = securityGroupRules(json.Resources);
  const tasksGroup = getAtt(stack.compute.tasksSecurityGroup, 'GroupId');
  const gatewayGroup = getAtt(gateway.securityGroup, 'GroupId');
  const loadBalancerGroup = getAtt(gateway.loadBalancerSecurityGroup, 'GroupId');
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

  it('is not created without sshPort, and refuses a port that is not one', () => {
    expect(synthCassini().stack.sshGateway).toBeUndefined();
    expect(() => synthCassini({ sshPort: '70000' })).toThrow(/context "sshPort" must be an integer from 1 to 65535/);
    const { vpcPublicSubnetIds: _none, ...privateOnly } = EXISTING_VPC_CONTEXT;
    expect(() => synthCassini({ ...privateOnly, sshPort: '22' })).toThrow(/"sshPort" with an existing VPC needs "vpcPublicSubnetIds"/);
  });

  it('is an internet-facing Network Load Balancer in the public subnets, behind a security group of its own', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'network',
      Scheme: 'internet-facing',
      SecurityGroups: [loadBalancerGroup],
      Subnets: Match.arrayWith([{ Ref: Match.stringLikeRegexp('[Pp]ublicSubnet') }]),
    });
  });

  it('passes TCP on the configured port to the gateway tasks (IP targets, as Fargate tasks register)', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      LoadBalancerArn: ref(gateway.loadBalancer),
      Port: 22,
      Protocol: 'TCP',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: ref(gateway.targetGroup) }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: GATEWAY_SSH_PORT,
      Protocol: 'TCP',
      TargetType: 'ip',
      HealthCheckProtocol: 'TCP',
    });
  });

  // "Edit target group attributes for your Network Load Balancer" (Client IP preservation; Proxy
  // protocol): IP targets over TCP see the load balancer's address unless client IP preservation
  // is on, and with it on, the targets' group would have to admit every client address. Proxy
  // protocol v2 carries the client's address in a header instead, so the gateway can record it.
  it('tells the gateway who connected by proxy protocol v2, not by preserving client addresses', () => {
    const attributes = json.Resources[logicalId(gateway.targetGroup)]!.Properties!.TargetGroupAttributes as Array<{ Key: string; Value: string }>;
    expect(attributes).toEqual(expect.arrayContaining([
      { Key: 'proxy_protocol_v2.enabled', Value: 'true' },
      { Key: 'preserve_client_ip.enabled', Value: 'false' },
    ]));
  });

  it('admits SSH into the load balancer from anywhere, and lets it send only to the gateway', () => {
    const ofLoadBalancer = rules.filter((r) => same(r.group, loadBalancerGroup));
    expect(ofLoadBalancer.filter((r) => r.direction === 'in')).toEqual([{ group: loadBalancerGroup, direction: 'in', peer: '0.0.0.0/0', fromPort: 22, toPort: 22 }]);
    expect(ofLoadBalancer.filter((r) => r.direction === 'out')).toEqual([{ group: loadBalancerGroup, direction: 'out', peer: gatewayGroup, fromPort: GATEWAY_SSH_PORT, toPort: GATEWAY_SSH_PORT }]);
  });

  it('lets the gateway be reached from the load balancer only, and reach workspace tasks on their SSH port and HTTPS only', () => {
    const ofGateway = rules.filter((r) => same(r.group, gatewayGroup));
    expect(ofGateway.filter((r) => r.direction === 'in')).toEqual([{ group: gatewayGroup, direction: 'in', peer: loadBalancerGroup, fromPort: GATEWAY_SSH_PORT, toPort: GATEWAY_SSH_PORT }]);
    expect(ofGateway.filter((r) => r.direction === 'out').map(({ peer, fromPort, toPort }) => ({ peer, fromPort, toPort }))).toEqual(expect.arrayContaining([
      { peer: tasksGroup, fromPort: WORKSPACE_SSH_PORT, toPort: WORKSPACE_SSH_PORT },
      { peer: '0.0.0.0/0', fromPort: 443, toPort: 443 },
    ]));
    // "Security group rules" (Amazon VPC User Guide): a group allows only the outbound traffic its rules name.
    expect(ofGateway.filter((r) => r.direction === 'out')).toHaveLength(2);
  });

  it('admits the workspace SSH port into platform tasks from the gateway\'s group and from nothing else', () => {
    const intoTasks = rules.filter((r) => same(r.group, tasksGroup) && r.direction === 'in' && covers(r, WORKSPACE_SSH_PORT));
    expect(intoTasks).toEqual([{ group: tasksGroup, direction: 'in', peer: gatewayGroup, fromPort: WORKSPACE_SSH_PORT, toPort: WORKSPACE_SSH_PORT }]);
    // Nor may the gateway reach the edge ports the web load balancer sends to (it is no web client).
    expect(WORKSPACE_SSH_PORT).toBeLessThan(EDGE_HEALTH_PORT);
    expect(rules.filter((r) => same(r.peer, gatewayGroup) && same(r.group, tasksGroup) && covers(r, EDGE_HEALTH_PORT))).toEqual([]);
  });

  it('keeps the host key secret outside the prefix the API writes users\' secrets under, generated long enough to be a key, and kept on stack deletion', () => {
    expect(HOST_KEY_SECRET_NAME.startsWith(PLATFORM_SECRET_PREFIX)).toBe(false);
    expect(HOST_KEY_SECRET_LENGTH).toBeGreaterThanOrEqual(MINIMUM_SEED_LENGTH);
    const secret = json.Resources[logicalId(gateway.hostKeySeed)] as { Properties: Record<string, unknown>; DeletionPolicy?: string };
    expect(secret.Properties).toMatchObject({ Name: HOST_KEY_SECRET_NAME, GenerateSecretString: { PasswordLength: HOST_KEY_SECRET_LENGTH, ExcludePunctuation: true } });
    expect(secret.DeletionPolicy).toBe('Retain');
  });

  it('lets the gateway\'s task role read the host key secret; no other role names the secret', () => {
    const secretRef = ref(gateway.hostKeySeed);
    const policies = Object.values(json.Resources).filter((r) => r.Type === 'AWS::IAM::Policy');
    const gatewayPolicies = policies.filter((p) => JSON.stringify((p.Properties!.Roles as unknown[]) ?? []).includes(logicalId(gateway.taskRole)));
    // The role's every statement is held in ssh-gateway-service.test.ts.
    const gatewayStatements = gatewayPolicies.flatMap((p) => (p.Properties!.PolicyDocument as { Statement: Array<{ Action: unknown; Resource: unknown }> }).Statement);
    const readsSeed = (s: { Action: unknown; Resource: unknown }) => s.Action === 'secretsmanager:GetSecretValue' && [s.Resource].flat().some((r) => JSON.stringify(r) === JSON.stringify(secretRef));
    expect(gatewayStatements.some(readsSeed)).toBe(true);
    const others = policies.filter((p) => !gatewayPolicies.includes(p) && JSON.stringify(p.Properties!.PolicyDocument).includes(JSON.stringify(secretRef)));
    expect(others).toEqual([]);
    // The stack's other roles read no secret value at all (test/infra/aws/least-privilege.test.ts); with the gateway that still holds.
    const readers = policies.filter((p) => JSON.stringify(p.Properties!.PolicyDocument).includes('secretsmanager:GetSecretValue'));
    expect(readers).toEqual(gatewayPolicies);
    const role = json.Resources[logicalId(gateway.taskRole)]!.Properties!;
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(role.AssumeRolePolicyDocument).toMatchObject({ Statement: [{ Principal: { Service: 'ecs-tasks.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': expect.anything() } } }] });
  });

  it('gives the API the gateway\'s host and port for state.ssh, and outputs the host', () => {
    expect(stack.resolve(gateway.environment())).toEqual({ SSH_GATEWAY_HOST: getAtt(gateway.loadBalancer, 'DNSName'), SSH_GATEWAY_PORT: '22' });
    template.hasOutput('SshHost', { Value: getAtt(gateway.loadBalancer, 'DNSName') });
  });
});
