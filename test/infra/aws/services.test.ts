/**
 * Deployments and workspaces on AWS: the deployment-state rule, and what the reactor, the
 * task-state function and the reconciler may do to services, routes and homes (each grant
 * scoped as tightly as IAM allows). The least-privilege test proves the actions match the code;
 * this one holds the resources and conditions.
 */
import { describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { Stack } from 'aws-cdk-lib';
import { roleStatements } from './support/least-privilege.ts';
import { DOMAIN_CONTEXT, getAtt, logicalId, synthCassini, type Synthesized } from './support/synth.ts';

type Statement = ReturnType<typeof roleStatements>[number];

function statementsWith(s: Synthesized, role: Parameters<typeof logicalId>[0], action: string): Statement[] {
  return roleStatements(s.json.Resources, logicalId(role)).filter((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]).includes(action));
}

describe('deployment state rule (task-lifecycle.ts)', () => {
  const s = synthCassini();
  const { stack, template } = s;

  it('sends the deployment state changes of the platform services to the task-state function', () => {
    const rule = s.json.Resources[logicalId(stack.taskLifecycle.deploymentStateRule)]!;
    expect(rule.Properties!.EventPattern).toEqual({
      source: ['aws.ecs'],
      'detail-type': ['ECS Deployment State Change'],
      resources: [{ prefix: stack.resolve(Stack.of(stack).formatArn({ service: 'ecs', resource: 'service', resourceName: `${stack.compute.cluster.clusterName}/cassini-` })) }],
    });
    expect(rule.Properties!.Targets).toEqual([
      expect.objectContaining({ Arn: getAtt(stack.taskState.fn), DeadLetterConfig: { Arn: getAtt(stack.taskLifecycle.deadLetterQueue) }, RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 } }),
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ECS_CLUSTER: { Ref: logicalId(stack.compute.cluster) } }) },
    });
  });
});

describe('reactor grants for services, routes and homes', () => {
  const s = synthCassini(DOMAIN_CONTEXT);
  const { stack } = s;
  const cluster = stack.resolve(stack.compute.cluster.clusterArn);

  it('creates and updates only cassini-* services in the cluster, on platform task definitions', () => {
    const [statement] = statementsWith(s, stack.reactor.role, 'ecs:CreateService');
    expect(statement!.Action).toEqual(['ecs:CreateService', 'ecs:UpdateService']);
    expect(JSON.stringify(statement!.Resource)).toContain(':service/');
    expect(JSON.stringify(statement!.Resource)).toContain('/cassini-*');
    expect(statement!.Condition).toEqual({
      ArnEquals: { 'ecs:cluster': cluster },
      ArnLike: { 'ecs:task-definition': expect.objectContaining({ 'Fn::Join': expect.anything() }) },
    });
    expect(JSON.stringify((statement!.Condition as { ArnLike: object }).ArnLike)).toContain('task-definition/cassini-*:*');
  });

  it('creates rules on the HTTPS listener and target groups only with the platform tag, and changes or deletes only tagged ones', () => {
    const [createRule] = statementsWith(s, stack.reactor.role, 'elasticloadbalancing:CreateRule');
    expect(createRule!.Resource).toEqual(expect.arrayContaining([stack.resolve(stack.ingress!.httpsListener.listenerArn)]));
    expect(createRule!.Condition).toEqual({ Null: { 'aws:RequestTag/cassini:resource': 'false' } });
    const [deleteRule] = statementsWith(s, stack.reactor.role, 'elasticloadbalancing:DeleteRule');
    expect(deleteRule!.Condition).toEqual({ Null: { 'aws:ResourceTag/cassini:resource': 'false' } });
    expect(JSON.stringify(deleteRule!.Resource)).toContain(':listener-rule/');
    const [deleteGroup] = statementsWith(s, stack.reactor.role, 'elasticloadbalancing:DeleteTargetGroup');
    expect(JSON.stringify(deleteGroup!.Resource)).toContain(':targetgroup/cassini-*/*');
    expect(deleteGroup!.Condition).toEqual({ Null: { 'aws:ResourceTag/cassini:resource': 'false' } });
    const [addTags] = statementsWith(s, stack.reactor.role, 'elasticloadbalancing:AddTags');
    expect(addTags!.Condition).toEqual({ StringEquals: { 'elasticloadbalancing:CreateAction': ['CreateTargetGroup', 'CreateRule'] } });
  });

  it("changes the load balancer app client's callback URLs on the platform user pool only", () => {
    const [statement] = statementsWith(s, stack.reactor.role, 'cognito-idp:UpdateUserPoolClient');
    expect(statement!.Action).toEqual(['cognito-idp:DescribeUserPoolClient', 'cognito-idp:UpdateUserPoolClient']);
    expect(statement!.Resource).toEqual(getAtt(stack.identity.userPool));
    expect(statement!.Condition).toBeUndefined();
    const cognitoActions = roleStatements(s.json.Resources, logicalId(stack.reactor.role)).flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]).filter((a) => a.startsWith('cognito-idp:')));
    expect(cognitoActions).toEqual(['cognito-idp:DescribeUserPoolClient', 'cognito-idp:UpdateUserPoolClient']);
  });

  it('creates access points on the platform file system only, and deletes only homes', () => {
    const fileSystem = getAtt(stack.storage.fileSystem);
    const [create] = statementsWith(s, stack.reactor.role, 'elasticfilesystem:CreateAccessPoint');
    expect(create!.Resource).toEqual(fileSystem);
    expect(create!.Condition).toEqual({ Null: { 'aws:RequestTag/cassini:resource': 'false', 'aws:RequestTag/cassini:home': 'false' } });
    const [remove] = statementsWith(s, stack.reactor.role, 'elasticfilesystem:DeleteAccessPoint');
    expect(remove!.Condition).toEqual({ Null: { 'aws:ResourceTag/cassini:home': 'false' } });
    const [tag] = statementsWith(s, stack.reactor.role, 'elasticfilesystem:TagResource');
    expect(tag!.Condition).toEqual({ StringEquals: { 'elasticfilesystem:CreateAction': 'CreateAccessPoint' } });
  });

  it('tells the reactor where routes and homes go, and the reconciler which load balancer counts requests', () => {
    const reactorEnv = (s.json.Resources[logicalId(stack.reactor.fn)]!.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
    expect(Object.keys(reactorEnv)).toEqual(
      expect.arrayContaining(['FILE_SYSTEM_ID', 'LISTENER_ARN', 'VPC_ID', 'ROUTE_DOMAIN', 'ALB_USER_POOL_ARN', 'ALB_USER_POOL_CLIENT_ID', 'ALB_USER_POOL_DOMAIN']),
    );
    expect(reactorEnv.ROUTE_DOMAIN).toBe(DOMAIN_CONTEXT.domainName);
    const reconcilerEnv = (s.json.Resources[logicalId(stack.reconciler.fn)]!.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
    expect(reconcilerEnv.LOAD_BALANCER_ARN).toEqual({ Ref: logicalId(stack.ingress!.loadBalancer) });
  });

  it("tells the reactor what the tasks' edge sidecars trust: this load balancer as signer, the API for visitors' groups, and the image", () => {
    const reactorEnv = (s.json.Resources[logicalId(stack.reactor.fn)]!.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
    expect(reactorEnv.LOAD_BALANCER_ARN).toEqual({ Ref: logicalId(stack.ingress!.loadBalancer) });
    expect(reactorEnv.PLATFORM_URL).toBeDefined();
    expect(reactorEnv.EDGE_IMAGE).toBeUndefined();
    const pinned = synthCassini({ ...DOMAIN_CONTEXT, edgeImage: 'public.ecr.aws/docker/library/node:22.12.0-alpine3.21@sha256:' + 'a'.repeat(64) });
    const pinnedEnv = (pinned.json.Resources[logicalId(pinned.stack.reactor.fn)]!.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
    expect(pinnedEnv.EDGE_IMAGE).toMatch(/@sha256:a{64}$/);
  });

  it("has the API accept the load balancer client's access tokens beside its own, which the edge sidecar presents for a visitor's groups", () => {
    const authorizerEnv = (s.json.Resources[logicalId(stack.api.authorizer.fn)]!.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
    expect(JSON.stringify(authorizerEnv.USER_POOL_CLIENT_IDS)).toContain(logicalId(stack.identity.apiClient));
    expect(JSON.stringify(authorizerEnv.USER_POOL_CLIENT_IDS)).toContain(logicalId(stack.ingress!.client));
  });

  it('lets the default task role mount nothing: a resource that mounts a home or folder gets a task role of its own', () => {
    // With a mount grant on the shared role, any task could mount any access point whose id it learnt (test/infra/aws/isolation.test.ts).
    expect(statementsWith(s, stack.compute.defaultTaskRole, 'elasticfilesystem:ClientMount')).toEqual([]);
  });

  it('lets the task-state function describe the platform services only', () => {
    const [describeServices] = statementsWith(s, stack.taskState.role, 'ecs:DescribeServices');
    expect(JSON.stringify(describeServices!.Resource)).toContain('/cassini-*');
  });
});
