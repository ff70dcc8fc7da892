/**
 * Compute, storage and ingress (infra/aws/constructs/compute.ts, storage.ts, ingress.ts), in a
 * new VPC and in an existing one.
 */
import { describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { NO_ROUTE_BODY } from '../../../infra/aws/constructs/ingress.ts';
import { buildCassini, DOMAIN_CONTEXT, EXISTING_VPC_CONTEXT, getAtt, logicalId, ref, synthCassini } from './support/synth.ts';

describe('compute.ts', () => {
  const { template, json, stack } = synthCassini({ gpuInstanceTypes: 'g5.12xlarge,g5.xlarge', gpuMaxInstances: '4' });

  describe('compute', () => {
    it('creates a VPC with public and private subnets in two zones, one NAT gateway and flow logs', () => {
      template.resourceCountIs('AWS::EC2::VPC', 1);
      template.resourceCountIs('AWS::EC2::Subnet', 4);
      template.resourceCountIs('AWS::EC2::NatGateway', 1);
      template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    });

    it('runs one ECS cluster with Container Insights, the FARGATE and FARGATE_SPOT providers and one provider per GPU type', () => {
      template.resourceCountIs('AWS::ECS::Cluster', 1);
      template.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
      template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
        Cluster: ref(stack.compute.cluster),
        CapacityProviders: ['FARGATE', 'FARGATE_SPOT', ...stack.compute.gpuCapacity.map((c) => stack.resolve(c.provider.capacityProviderName))],
        DefaultCapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
      });
    });

    // Managed scaling launches what a group holds ("Amazon ECS capacity providers for EC2
    // workloads"): a task for a type its group does not launch would wait in PROVISIONING.
    it('gives every GPU type its own group of that one type, scaling from zero under ECS managed scaling, never killing a running task', () => {
      expect(stack.compute.gpuCapacity.map((c) => c.instanceType)).toEqual(['g5.12xlarge', 'g5.xlarge']);
      template.resourceCountIs('AWS::ECS::CapacityProvider', 2);
      template.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 2);
      for (const { instanceType, instances } of stack.compute.gpuCapacity) {
        template.hasResourceProperties('AWS::ECS::CapacityProvider', {
          AutoScalingGroupProvider: {
            AutoScalingGroupArn: ref(instances.node.defaultChild!),
            ManagedScaling: Match.objectLike({ Status: 'ENABLED', TargetCapacity: 100 }),
            ManagedTerminationProtection: 'ENABLED',
            ManagedDraining: 'ENABLED',
          },
        });
        const group = json.Resources[logicalId(instances)]!.Properties!;
        expect(group).toMatchObject({ MinSize: '0', MaxSize: '4', NewInstancesProtectedFromScaleIn: true });
        expect(group.MixedInstancesPolicy).toBeUndefined();
        const templateId = (group.LaunchTemplate as { LaunchTemplateId: { Ref: string } }).LaunchTemplateId.Ref;
        expect((json.Resources[templateId]!.Properties!.LaunchTemplateData as { InstanceType: string }).InstanceType).toBe(instanceType);
      }
    });

    it('tells the launching functions which provider each GPU type has, and the API which types it offers', () => {
      const env = stack.compute.taskEnvironment();
      expect(stack.resolve(env.GPU_CAPACITY_PROVIDERS)).toEqual({
        'Fn::Join': ['', ['g5.12xlarge=', ...[stack.resolve(stack.compute.gpuCapacity[0]!.provider.capacityProviderName)], ',g5.xlarge=', stack.resolve(stack.compute.gpuCapacity[1]!.provider.capacityProviderName)]],
      });
      expect(stack.compute.offeredGpuEnvironment()).toEqual({ GPU_INSTANCE_TYPES: 'g5.12xlarge,g5.xlarge' });
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: Match.absent(),
        Environment: { Variables: Match.objectLike({ GPU_INSTANCE_TYPES: 'g5.12xlarge,g5.xlarge' }) },
      });
    });

    it('boots GPU instances from the ECS GPU-optimized AMI with IMDSv2 and an encrypted root volume', () => {
      const parameters = (template.toJSON() as { Parameters: Record<string, { Default?: string }> }).Parameters;
      const ami = Object.entries(parameters).find(([, p]) => p.Default === '/aws/service/ecs/optimized-ami/amazon-linux-2/gpu/recommended/image_id');
      expect(ami).toBeDefined();
      template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
        LaunchTemplateData: Match.objectLike({
          ImageId: { Ref: ami![0] },
          MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
          BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true }) })],
          // Instances join the platform cluster.
          UserData: { 'Fn::Base64': { 'Fn::Join': ['', Match.arrayWith([ref(stack.compute.cluster)])] } },
        }),
      });
    });

    it('has a shared task execution role for ECS tasks of this account: image pulls, task logs, no secret (each resource\'s own reads those)', () => {
      const role = json.Resources[logicalId(stack.compute.executionRole)]!.Properties!;
      expect(role.AssumeRolePolicyDocument).toMatchObject({
        Statement: [{ Principal: { Service: 'ecs-tasks.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }],
      });
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [ref(stack.compute.executionRole)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: 'ecr:GetAuthorizationToken', Resource: '*' }),
            Match.objectLike({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: getAtt(stack.compute.taskLogs) }),
          ]),
        },
      });
      const ownPolicies = Object.values(json.Resources).filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles).includes(logicalId(stack.compute.executionRole)));
      expect(ownPolicies.length).toBeGreaterThan(0);
      expect(JSON.stringify(ownPolicies)).not.toContain('secretsmanager:');
    });

    it('keeps task output in a log group with a retention', () => {
      expect(json.Resources[logicalId(stack.compute.taskLogs)]!.Properties!.RetentionInDays).toBe(90);
    });
  });

  describe('compute in an existing VPC', () => {
    const existing = synthCassini(EXISTING_VPC_CONTEXT);

    it('creates no network and puts the GPU instances in the given private subnets', () => {
      existing.template.resourceCountIs('AWS::EC2::VPC', 0);
      existing.template.resourceCountIs('AWS::EC2::Subnet', 0);
      existing.template.resourceCountIs('AWS::EC2::NatGateway', 0);
      existing.template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { VPCZoneIdentifier: EXISTING_VPC_CONTEXT.vpcPrivateSubnetIds.split(',') });
      existing.template.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: EXISTING_VPC_CONTEXT.vpcId });
    });
  });
});

describe('storage.ts', () => {
  const { template, json, stack } = synthCassini();

  describe('storage', () => {
    it('is one encrypted EFS file system, backed up, kept on stack deletion', () => {
      template.resourceCountIs('AWS::EFS::FileSystem', 1);
      template.hasResource('AWS::EFS::FileSystem', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({ Encrypted: true, BackupPolicy: { Status: 'ENABLED' }, ThroughputMode: 'elastic' }),
      });
    });

    it('refuses unencrypted transport and anonymous access in its file system policy', () => {
      const policy = JSON.stringify(json.Resources[logicalId(stack.storage.fileSystem)]!.Properties!.FileSystemPolicy);
      expect(policy).toContain('"Effect":"Deny"');
      expect(policy).toContain('"aws:SecureTransport":"false"');
    });

    it('has a mount target in each private subnet, reachable on NFS from platform tasks only', () => {
      const targets = Object.values(json.Resources).filter((r) => r.Type === 'AWS::EFS::MountTarget');
      const privateSubnets = stack.compute.vpc.privateSubnets.map((s) => stack.resolve(s.subnetId));
      expect(targets.map((t) => t.Properties!.SubnetId)).toEqual(privateSubnets);
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        IpProtocol: 'tcp',
        FromPort: 2049,
        ToPort: 2049,
        GroupId: getAtt(stack.storage.securityGroup, 'GroupId'),
        SourceSecurityGroupId: getAtt(stack.compute.tasksSecurityGroup, 'GroupId'),
      });
      const sg = json.Resources[logicalId(stack.storage.securityGroup)]!.Properties!;
      expect(JSON.stringify(sg.SecurityGroupIngress ?? [])).not.toContain('0.0.0.0/0');
    });

    it('mounts in the private subnets of an existing VPC', () => {
      const existing = synthCassini(EXISTING_VPC_CONTEXT);
      const targets = Object.values(existing.json.Resources).filter((r) => r.Type === 'AWS::EFS::MountTarget');
      expect(targets.map((t) => t.Properties!.SubnetId).sort()).toEqual(EXISTING_VPC_CONTEXT.vpcPrivateSubnetIds.split(',').sort());
    });
  });
});

describe('ingress.ts', () => {
  describe('ingress without a domain', () => {
    const { template, stack } = synthCassini();

    it('is not created', () => {
      expect(stack.ingress).toBeUndefined();
      template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
      // The web console's sign-in domain and client are the only ones besides the API's (web-console.ts).
      template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
      expect(stack.console.signInDomain.node.id).toBe('ConsoleSignIn');
      template.resourceCountIs('AWS::Cognito::UserPoolClient', 2);
    });
  });

  describe('ingress with a domain and a certificate', () => {
    const { template, json, stack } = synthCassini(DOMAIN_CONTEXT);
    const ingress = stack.ingress!;

    it('is an internet-facing load balancer that drops invalid headers and logs access to S3', () => {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        Scheme: 'internet-facing',
        LoadBalancerAttributes: Match.arrayWith([
          { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
          { Key: 'access_logs.s3.enabled', Value: 'true' },
          { Key: 'access_logs.s3.bucket', Value: ref(ingress.accessLogs) },
        ]),
      });
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      });
    });

    it('serves HTTPS with the certificate, signs visitors in with Cognito, then answers 404 until a route matches', () => {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 443,
        Protocol: 'HTTPS',
        Certificates: [{ CertificateArn: DOMAIN_CONTEXT.certificateArn }],
        SslPolicy: Match.stringLikeRegexp('TLS13'),
        DefaultActions: [
          {
            Type: 'authenticate-cognito',
            Order: 1,
            AuthenticateCognitoConfig: Match.objectLike({
              UserPoolArn: getAtt(stack.identity.userPool),
              UserPoolClientId: ref(ingress.client),
              UserPoolDomain: ref(ingress.userPoolDomain),
            }),
          },
          { Type: 'fixed-response', Order: 2, FixedResponseConfig: { StatusCode: '404', ContentType: 'application/json', MessageBody: NO_ROUTE_BODY } },
        ],
      });
    });

    it('redirects HTTP to HTTPS', () => {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 80,
        DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
      });
    });

    it('signs in through a Cognito domain and a confidential client with the code flow', () => {
      template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
      template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
        GenerateSecret: true,
        AllowedOAuthFlows: ['code'],
        AllowedOAuthScopes: Match.arrayWith(['openid']),
        CallbackURLs: [`https://${DOMAIN_CONTEXT.domainName}/oauth2/idpresponse`],
      });
    });

    it('points *.<domain> at the load balancer in the given hosted zone', () => {
      template.hasResourceProperties('AWS::Route53::RecordSet', {
        HostedZoneId: DOMAIN_CONTEXT.hostedZoneId,
        Name: `*.${DOMAIN_CONTEXT.domainName}.`,
        Type: 'A',
        AliasTarget: Match.objectLike({ HostedZoneId: getAtt(ingress.loadBalancer, 'CanonicalHostedZoneID') }),
      });
    });

    it('lets the load balancer reach platform tasks, and tells the API Lambda its route domain', () => {
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        GroupId: getAtt(stack.compute.tasksSecurityGroup, 'GroupId'),
        SourceSecurityGroupId: Match.objectLike({ 'Fn::GetAtt': Match.arrayWith(['GroupId']) }),
      });
      template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ROUTE_DOMAIN: DOMAIN_CONTEXT.domainName }) } });
      expect(Object.keys(ingress.environment()).sort()).toEqual(['ALB_USER_POOL_ARN', 'ALB_USER_POOL_CLIENT_ID', 'ALB_USER_POOL_DOMAIN', 'LISTENER_ARN', 'LOAD_BALANCER_ARN', 'ROUTE_DOMAIN', 'VPC_ID']);
      expect(Object.values(json.Resources).filter((r) => r.Type === 'AWS::ElasticLoadBalancingV2::Listener')).toHaveLength(2);
    });

    it('creates no DNS record without a hosted zone', () => {
      const { hostedZoneId: _zone, ...withoutZone } = DOMAIN_CONTEXT;
      synthCassini(withoutZone).template.resourceCountIs('AWS::Route53::RecordSet', 0);
    });

    it('puts the load balancer in the public subnets of an existing VPC', () => {
      synthCassini({ ...DOMAIN_CONTEXT, ...EXISTING_VPC_CONTEXT }).template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        Subnets: EXISTING_VPC_CONTEXT.vpcPublicSubnetIds.split(','),
      });
    });

    it('needs a known region (load balancer access logging depends on it)', () => {
      const { region: _region, ...withoutRegion } = DOMAIN_CONTEXT;
      const saved = process.env.CDK_DEFAULT_REGION;
      delete process.env.CDK_DEFAULT_REGION;
      try {
        expect(() => buildCassini(withoutRegion)).toThrow(/needs a known region/);
      } finally {
        if (saved !== undefined) process.env.CDK_DEFAULT_REGION = saved;
      }
    });
  });
});
