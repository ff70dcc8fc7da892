/**
 * Tenant isolation on AWS, read from the synthesized template: what stops a member's task from
 * reaching another member's work through the network, the file system, IAM or the instance
 * metadata service. Each rule of AWS this relies on is cited where it is tested.
 */
import { describe, expect, it } from 'vitest';
import { BLOCK_TASK_IMDS_SETTING } from '../../../infra/aws/constructs/task-metadata-lockdown.ts';
import { DASK_CLUSTER_TAG } from '../../../shared/adapters/aws/dask/dask-cluster-security-groups.ts';
import { EDGE_HEALTH_PORT, edgePortsFor } from '../../../shared/adapters/aws/services/edge-sidecar.ts';
import { DOMAIN_CONTEXT, getAtt, logicalId, synthCassini } from './support/synth.ts';
import { roleStatements } from './support/least-privilege.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Props = Record<string, any>;

/** A CloudFormation string expression as text, tokens written as `${...}`. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(text).join('');
  if (value && typeof value === 'object') {
    const [fn, arg] = Object.entries(value as Props)[0]!;
    if (fn === 'Fn::Join') return (arg[1] as unknown[]).map(text).join(arg[0] as string);
    if (fn === 'Fn::Base64') return text(arg);
    return `\${${JSON.stringify(value)}}`;
  }
  return String(value);
}

describe('isolation on AWS', () => {
  const { json, stack } = synthCassini({ ...DOMAIN_CONTEXT, gpuInstanceTypes: 'g4dn.xlarge,g5.xlarge' });
  const resources = Object.entries(json.Resources);
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type).map(([id, r]) => ({ id, props: (r.Properties ?? {}) as Props }));

  describe('network', () => {
    /** Every ingress rule of the template, inline or standalone, with the group it admits into. */
    const ingress: Props[] = [
      ...ofType('AWS::EC2::SecurityGroup').flatMap(({ id, props }) => ((props.SecurityGroupIngress ?? []) as Props[]).map((rule) => ({ ...rule, GroupId: { 'Fn::GetAtt': [id, 'GroupId'] } }))),
      ...ofType('AWS::EC2::SecurityGroupIngress').map(({ props }) => props),
    ];
    const tasks = getAtt(stack.compute.tasksSecurityGroup, 'GroupId');
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

    it('has no rule that admits a group into itself: members of a shared group do not reach each other', () => {
      // "Security group rules" (Amazon VPC User Guide): a rule whose source is a security group
      // allows traffic from every network interface associated with that group, so a self-rule
      // on a group every task joins would let any user's task reach any other's.
      expect(ingress.filter((rule) => rule.SourceSecurityGroupId !== undefined && same(rule.SourceSecurityGroupId, rule.GroupId))).toEqual([]);
    });

    it('admits into the tasks group only the load balancer, on the edge sidecars\' ports only', () => {
      const into = ingress.filter((rule) => same(rule.GroupId, tasks));
      expect(into.length).toBeGreaterThan(0);
      for (const rule of into) {
        expect(rule.CidrIp ?? rule.CidrIpv6 ?? rule.SourcePrefixListId).toBeUndefined();
        // Target groups send to edge ports only (edge-sidecar.ts); an app's own port is not among them.
        expect([rule.IpProtocol, rule.FromPort, rule.ToPort]).toEqual(['tcp', EDGE_HEALTH_PORT, 65535]);
        expect(rule.SourceSecurityGroupId).toEqual(getAtt(stack.ingress!.loadBalancer.connections.securityGroups[0]!, 'GroupId'));
      }
    });

    it('puts every port a target group sends to in that range, whatever ports the app routes', () => {
      const routes = [8000, 8501, EDGE_HEALTH_PORT, EDGE_HEALTH_PORT + 1, 3000].map((containerPort, n) => ({ subdomain: `r${n}`, containerPort, visibility: 'owner' as const }));
      const ports = edgePortsFor({ routes });
      for (const port of [ports.health, ...ports.routes.values()]) expect(port).toBeGreaterThanOrEqual(EDGE_HEALTH_PORT);
      for (const port of [ports.health, ...ports.routes.values()]) expect(port).toBeLessThanOrEqual(65535);
    });

    it('lets the tasks group reach nothing but the file system, where IAM and access points decide', () => {
      const fromTasks = ingress.filter((rule) => same(rule.SourceSecurityGroupId, tasks));
      expect(fromTasks.map((rule) => [rule.GroupId, rule.IpProtocol, rule.FromPort, rule.ToPort])).toEqual([[getAtt(stack.storage.securityGroup, 'GroupId'), 'tcp', 2049, 2049]]);
    });

    it('lets the launching functions make, open to itself and delete only Dask cluster groups, in the platform VPC', () => {
      // "Amazon EC2 condition keys" (Service Authorization Reference): aws:RequestTag on
      // CreateSecurityGroup, ec2:CreateAction on CreateTags, aws:ResourceTag and ec2:Vpc on
      // AuthorizeSecurityGroupIngress and DeleteSecurityGroup.
      const vpc = { 'Fn::Join': ['', [`arn:aws:ec2:${DOMAIN_CONTEXT.region}:`, { Ref: 'AWS::AccountId' }, ':vpc/', { Ref: logicalId(stack.compute.vpc) }]] };
      const tagged = { Null: { [`aws:RequestTag/${DASK_CLUSTER_TAG}`]: 'false' } };
      const taggedInVpc = { Null: { [`aws:ResourceTag/${DASK_CLUSTER_TAG}`]: 'false' }, ArnEquals: { 'ec2:Vpc': vpc } };
      for (const fn of [stack.reactor, stack.reconciler]) {
        const statements = roleStatements(json.Resources, logicalId(fn.role));
        const granting = (action: string) => statements.filter((st) => [st.Action].flat().includes(action)) as Props[];
        const ec2Actions = new Set(statements.flatMap((st) => [st.Action].flat()).filter((a) => a.startsWith('ec2:')));
        expect([...ec2Actions].sort()).toEqual(['ec2:AuthorizeSecurityGroupIngress', 'ec2:CreateSecurityGroup', 'ec2:CreateTags', 'ec2:DeleteSecurityGroup', 'ec2:DescribeSecurityGroups']);
        for (const st of granting('ec2:CreateSecurityGroup')) expect(same(st.Resource, vpc) || (same(st.Condition, tagged) && JSON.stringify(st.Resource).includes(':security-group/*')), JSON.stringify(st)).toBe(true);
        for (const st of granting('ec2:CreateTags')) expect(st.Condition).toEqual({ StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' } });
        for (const action of ['ec2:AuthorizeSecurityGroupIngress', 'ec2:DeleteSecurityGroup']) for (const st of granting(action)) expect(st.Condition).toEqual(taggedInVpc);
      }
      const apiActions = roleStatements(json.Resources, logicalId(stack.api.handler.role)).flatMap((st) => [st.Action].flat());
      expect(apiActions.filter((a) => a.startsWith('ec2:'))).toEqual([]);
    });
  });

  describe('file system', () => {
    const [fileSystem] = ofType('AWS::EFS::FileSystem');
    const statements = (fileSystem!.props.FileSystemPolicy as { Statement: Props[] }).Statement;
    const clientActions = ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess'];
    const actionsOf = (st: Props) => [st.Action].flat() as string[];
    const everyone = (st: Props) => JSON.stringify(st.Principal) === JSON.stringify({ AWS: '*' }) || st.Principal === '*';

    it('denies every client that does not come through an access point, whatever its own policy allows', () => {
      // "Using IAM to control access to file systems" (EFS User Guide): an allow in either the
      // identity policy or the file system policy is enough, so only a Deny here holds against a
      // role that allows itself more. elasticfilesystem:AccessPointArn is "the ARN of the EFS
      // access point to which the client is connecting": absent (Null) when it mounts the root.
      const deny = statements.find((st) => st.Effect === 'Deny' && st.Condition?.Null?.['elasticfilesystem:AccessPointArn'] === 'true');
      expect(deny).toBeDefined();
      expect(everyone(deny!)).toBe(true);
      expect(actionsOf(deny!)).toEqual(expect.arrayContaining(clientActions));
      const viaMountTarget = statements.find((st) => st.Effect === 'Deny' && st.Condition?.Bool?.['elasticfilesystem:AccessedViaMountTarget'] === 'false');
      expect(viaMountTarget && actionsOf(viaMountTarget)).toEqual(expect.arrayContaining(clientActions));
    });

    it('allows no principal, nor anonymous clients, anything without an access-point condition', () => {
      // The default file system policy "grants full access to any anonymous client"; once a
      // policy is set, a client gets only what it allows. Principal AWS:* covers anonymous
      // clients too, so no Allow to it may go without elasticfilesystem:AccessPointArn.
      const allows = statements.filter((st) => st.Effect === 'Allow');
      for (const st of allows) {
        const condition = JSON.stringify(st.Condition ?? {});
        expect(condition, JSON.stringify(st)).toContain('elasticfilesystem:AccessPointArn');
        if (everyone(st)) expect(condition, JSON.stringify(st)).toContain('aws:PrincipalArn');
      }
    });

    it('never lets a client act as root on the file system', () => {
      // ClientRootAccess is "the ability to use the root user when accessing the file system";
      // access points set every client's POSIX user (efs-home-volumes.ts, efs-shared-folders.ts).
      expect(statements.filter((st) => st.Effect === 'Allow' && actionsOf(st).some((a) => a === 'elasticfilesystem:ClientRootAccess' || a === 'elasticfilesystem:*' || a === '*'))).toEqual([]);
      expect(statements.some((st) => st.Effect === 'Deny' && everyone(st) && actionsOf(st).includes('elasticfilesystem:ClientRootAccess') && st.Condition === undefined)).toBe(true);
    });

    it('gives task roles the client actions only with an access-point condition', () => {
      // "Using access points in IAM policies" (EFS User Guide): elasticfilesystem:AccessPointArn
      // limits an identity to the access points it names.
      const policies = [...ofType('AWS::IAM::Policy'), ...ofType('AWS::IAM::ManagedPolicy')];
      const grants = policies.flatMap(({ props }) => (props.PolicyDocument.Statement as Props[]).filter((st) => actionsOf(st).some((a) => a.startsWith('elasticfilesystem:Client'))));
      expect(grants.length).toBeGreaterThan(0);
      for (const st of grants) expect(Object.values(st.Condition ?? {}).some((c) => (c as Props)['elasticfilesystem:AccessPointArn'] !== undefined), JSON.stringify(st)).toBe(true);
    });

    it('grants no role of the stack any mount: only a resource\'s own task role, naming its access points, may', () => {
      // Per-resource task roles are made at run time (shared/adapters/aws/iam/resource-roles.ts,
      // their policies tested in test/adapters/aws/iam/resource-role-policies.test.ts). The shared
      // default task role must not mount: with it, any task could mount any home whose id it learnt.
      const roleGrants = ofType('AWS::IAM::Policy').flatMap(({ props }) => (props.PolicyDocument.Statement as Props[]).filter((st) => actionsOf(st).some((a) => a.startsWith('elasticfilesystem:Client'))));
      expect(roleGrants).toEqual([]);
      // The boundary is their ceiling: through an access point at most, on this file system only.
      const boundary = json.Resources[logicalId(stack.resourceRoles.taskRoleBoundary)]!.Properties as Props;
      const mount = (boundary.PolicyDocument.Statement as Props[]).filter((st) => actionsOf(st).some((a) => a.startsWith('elasticfilesystem:')));
      expect(mount).toEqual([
        expect.objectContaining({ Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'], Resource: getAtt(stack.storage.fileSystem, 'Arn'), Condition: { Null: { 'elasticfilesystem:AccessPointArn': 'false' } } }),
      ]);
    });

    it('allows nothing itself: each resource\'s own task role, by its identity policy, is the only way in', () => {
      // "Permissions boundaries for IAM entities" (IAM User Guide): a boundary does not limit what
      // a resource-based policy grants to a role of the same account, and "Using IAM to control
      // file system data access" (EFS User Guide): either policy's allow is enough. An allow here
      // would let a role mount access points its own policy does not name.
      expect(statements.filter((st) => st.Effect === 'Allow')).toEqual([]);
    });
  });

  describe('secrets and images', () => {
    const statementsOf = (role: Parameters<typeof logicalId>[0]) => roleStatements(json.Resources, logicalId(role));

    it('lets the shared execution role read no secret: a definition naming secrets runs with its resource\'s own', () => {
      // "Pass sensitive data to an Amazon ECS container" (Amazon ECS Developer Guide): ECS reads a
      // container's secrets with the task execution role. ECS does not pass session tags for it,
      // so ABAC on owner tags cannot tell one task's secrets from another's: per-resource roles do.
      const actions = statementsOf(stack.compute.executionRole).flatMap((st) => [st.Action].flat());
      expect(actions.filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
    });

    it('caps per-resource execution roles at the platform\'s secrets, this account\'s registry, the task log group and token files', () => {
      const boundary = json.Resources[logicalId(stack.resourceRoles.executionRoleBoundary)]!.Properties as Props;
      const allowed = (boundary.PolicyDocument.Statement as Props[]).map((st) => [[st.Action].flat().join(','), JSON.stringify(st.Resource)]);
      const secrets = allowed.filter(([a]) => a!.includes('secretsmanager'));
      expect(secrets.map(([a]) => a)).toEqual(['secretsmanager:GetSecretValue']);
      expect(secrets[0]![1]).toMatch(/:secret:cassini\/\*"/);
      expect(allowed.flatMap(([a]) => a!.split(',')).filter((a) => !/^(secretsmanager:GetSecretValue|ecr:|logs:CreateLogStream|logs:PutLogEvents|s3:GetObject|s3:GetBucketLocation)/.test(a))).toEqual([]);
    });
  });

  describe('instance metadata', () => {
    const templates = ofType('AWS::EC2::LaunchTemplate');

    it('launches GPU instances whose awsvpc tasks have no route to the instance metadata service', () => {
      // "Amazon ECS container agent configuration" (docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-agent-config.html):
      // ECS_AWSVPC_BLOCK_IMDS=true blocks IMDS access for tasks that use the awsvpc network mode,
      // which every platform task definition uses (ecs-task-definitions.ts). The agent reads
      // /etc/ecs/ecs.config at start, so the line must be in the user data the instance boots with.
      expect(templates.length).toBeGreaterThan(0);
      for (const { id, props } of templates) {
        const userData = text(props.LaunchTemplateData.UserData);
        expect(userData, id).toContain(`echo ${BLOCK_TASK_IMDS_SETTING} >> /etc/ecs/ecs.config`);
        expect(userData, id).toMatch(/echo ECS_CLUSTER=.* >> \/etc\/ecs\/ecs\.config/);
      }
    });

    it('requires IMDSv2 tokens, whose answers go one hop only, on every launch template', () => {
      // "Configure the Instance Metadata Service options" (EC2 User Guide): with HttpTokens
      // `required` IMDSv1 calls get no credentials; "the hop limit ... 1" keeps the PUT response
      // for the token from reaching a container behind a network bridge.
      for (const { id, props } of templates) {
        const options = props.LaunchTemplateData.MetadataOptions as Props;
        expect(options, id).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
        expect(options.HttpEndpoint ?? 'enabled', id).toBe('enabled');
      }
    });
  });
});
