import {
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  PriorityInUseException,
  TargetGroupNotFoundException,
  TooManyRulesException,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AlbRoutes, lowestFreePriority, RouteLimitError, type RoutePlan } from '../../../../shared/adapters/aws/services/alb-routes.ts';
import { targetGroupNameFor } from '../../../../shared/adapters/aws/services/service-names.ts';

const client = new ElasticLoadBalancingV2Client({ region: 'eu-west-1' });
const elb = mockClient(client);

const RESOURCE = '0123456789abcdef0123456789000001';
const OTHER = 'fedcba9876543210fedcba9876000001';
const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/cassini/50dc6c495c0c9188/f2f7dc8efc522ab2';
const SIGN_IN = {
  userPoolArn: 'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEf',
  userPoolClientId: 'lbclient123',
  userPoolDomain: 'cassini-apps-example-com',
};
/** The same sign-in as ELB spells it in an action. */
const COGNITO = { UserPoolArn: SIGN_IN.userPoolArn, UserPoolClientId: SIGN_IN.userPoolClientId, UserPoolDomain: SIGN_IN.userPoolDomain };
const routes = new AlbRoutes({ client, listenerArn: LISTENER, vpcId: 'vpc-0a1b2c3d', domain: 'apps.example.com', signIn: SIGN_IN });

function tgArn(resourceId: string, port: number): string {
  return `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${targetGroupNameFor(resourceId, port)}/6d0ecf831eec9f09`;
}

function rule(priority: number, host: string, resourceId: string, port = 8000): Rule {
  return {
    RuleArn: `arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/cassini/50dc6c495c0c9188/f2f7dc8efc522ab2/r${priority}`,
    Priority: String(priority),
    IsDefault: false,
    Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [host] } }],
    Actions: [
      { Type: 'authenticate-cognito', Order: 1, AuthenticateCognitoConfig: { ...COGNITO, OnUnauthenticatedRequest: 'authenticate' } },
      { Type: 'forward', Order: 2, TargetGroupArn: tgArn(resourceId, port), ForwardConfig: { TargetGroups: [{ TargetGroupArn: tgArn(resourceId, port), Weight: 1 }] } },
    ],
  };
}

const DEFAULT_RULE: Rule = { RuleArn: 'default', Priority: 'default', IsDefault: true, Conditions: [], Actions: [{ Type: 'fixed-response' }] };

const plan: RoutePlan = {
  resourceId: RESOURCE,
  owner: 'ada',
  type: 'deployment',
  name: 'api',
  healthCheckPath: '/health',
  routes: [
    { subdomain: 'api-ada', containerPort: 8000, visibility: 'owner' },
    { subdomain: 'api-ada-public', containerPort: 8501, visibility: 'unauthenticated' },
  ],
};

const TAGS = [
  { Key: 'cassini:resource', Value: RESOURCE },
  { Key: 'cassini:owner', Value: 'ada' },
  { Key: 'cassini:type', Value: 'deployment' },
  { Key: 'cassini:name', Value: 'api' },
];

function noTargetGroupsYet() {
  elb.on(DescribeTargetGroupsCommand).rejects(new TargetGroupNotFoundException({ message: 'One or more target groups not found', $metadata: {} }));
  elb.on(CreateTargetGroupCommand).callsFake((input: { Name: string; Tags: Array<{ Key: string; Value: string }> }) => {
    const port = Number(input.Tags.find((t) => t.Key === 'cassini:port')!.Value);
    return { TargetGroups: [{ TargetGroupArn: tgArn(RESOURCE, port), TargetGroupName: input.Name }] };
  });
  elb.on(ModifyTargetGroupAttributesCommand).resolves({});
}

beforeEach(() => {
  elb.reset();
});

describe('AlbRoutes.ensure', () => {
  it("creates one target group per app port, sending to the edge sidecar's port for it and health-checked on the sidecar's health port with the plan path", async () => {
    // Prepare
    noTargetGroupsYet();
    elb.on(DescribeRulesCommand).resolves({ Rules: [DEFAULT_RULE] });
    elb.on(CreateRuleCommand).resolves({});

    // Act
    const routed = await routes.ensure(plan);

    // Assess
    expect(routed).toEqual([
      { containerPort: 8000, targetGroupArn: tgArn(RESOURCE, 8000) },
      { containerPort: 8501, targetGroupArn: tgArn(RESOURCE, 8501) },
    ]);
    const created = elb.commandCalls(CreateTargetGroupCommand).map((c) => c.args[0].input);
    expect(created[0]).toEqual({
      Name: targetGroupNameFor(RESOURCE, 8000),
      TargetType: 'ip',
      Protocol: 'HTTP',
      ProtocolVersion: 'HTTP1',
      Port: 61001,
      VpcId: 'vpc-0a1b2c3d',
      HealthCheckEnabled: true,
      HealthCheckProtocol: 'HTTP',
      HealthCheckPath: '/health',
      HealthCheckPort: '61000',
      Matcher: { HttpCode: '200-399' },
      Tags: [...TAGS, { Key: 'cassini:port', Value: '8000' }],
    });
    expect(created[1]).toMatchObject({ Port: 61002, HealthCheckPort: '61000', HealthCheckPath: '/health' });
    // The app's own ports are never where the load balancer sends.
    for (const group of created) expect([8000, 8501]).not.toContain(group!.Port);
    expect(targetGroupNameFor(RESOURCE, 65535).length).toBeLessThanOrEqual(32);
    expect(elb.commandCalls(ModifyTargetGroupAttributesCommand)[0]!.args[0].input).toEqual({
      TargetGroupArn: tgArn(RESOURCE, 8000),
      Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }],
    });
  });

  it('adds a sign-in then forward rule for an owner route, a forward-only rule for an unauthenticated one, at the lowest free priorities', async () => {
    // Prepare
    noTargetGroupsYet();
    const existing = [DEFAULT_RULE, rule(1, 'other.apps.example.com', OTHER), rule(3, 'third.apps.example.com', OTHER)];
    elb.on(DescribeRulesCommand).resolvesOnce({ Rules: existing }).resolves({ Rules: [...existing, rule(2, 'api-ada.apps.example.com', RESOURCE)] });
    elb.on(CreateRuleCommand).resolves({});

    // Act
    await routes.ensure(plan);

    // Assess
    const [owner, open] = elb.commandCalls(CreateRuleCommand).map((c) => c.args[0].input);
    expect(owner).toEqual({
      ListenerArn: LISTENER,
      Priority: 2,
      Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['api-ada.apps.example.com'] } }],
      Actions: [
        {
          Type: 'authenticate-cognito',
          Order: 1,
          AuthenticateCognitoConfig: { ...COGNITO, OnUnauthenticatedRequest: 'authenticate', SessionTimeout: 43200 },
        },
        { Type: 'forward', TargetGroupArn: tgArn(RESOURCE, 8000), Order: 2 },
      ],
      Tags: [...TAGS, { Key: 'cassini:host', Value: 'api-ada.apps.example.com' }],
    });
    expect(open).toEqual({
      ListenerArn: LISTENER,
      Priority: 4,
      Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['api-ada-public.apps.example.com'] } }],
      Actions: [{ Type: 'forward', TargetGroupArn: tgArn(RESOURCE, 8501), Order: 1 }],
      Tags: [...TAGS, { Key: 'cassini:host', Value: 'api-ada-public.apps.example.com' }],
    });
  });

  it('reuses the target group and the rule that exist, creating nothing', async () => {
    // Prepare
    const single: RoutePlan = { ...plan, routes: [plan.routes[0]!] };
    elb.on(DescribeTargetGroupsCommand, { Names: [targetGroupNameFor(RESOURCE, 8000)] }).resolves({ TargetGroups: [{ TargetGroupArn: tgArn(RESOURCE, 8000) }] });
    elb.on(DescribeRulesCommand).resolves({ Rules: [DEFAULT_RULE, rule(7, 'api-ada.apps.example.com', RESOURCE)] });

    // Act
    const routed = await routes.ensure(single);

    // Assess
    expect(routed).toEqual([{ containerPort: 8000, targetGroupArn: tgArn(RESOURCE, 8000) }]);
    expect(elb.commandCalls(CreateTargetGroupCommand)).toHaveLength(0);
    expect(elb.commandCalls(CreateRuleCommand)).toHaveLength(0);
    expect(elb.commandCalls(ModifyRuleCommand)).toHaveLength(0);
    expect(elb.commandCalls(DeleteRuleCommand)).toHaveLength(0);
  });

  it('changes a rule in place when its visibility changed, and deletes the rule of a subdomain the plan dropped', async () => {
    // Prepare
    const opened: RoutePlan = { ...plan, routes: [{ ...plan.routes[0]!, visibility: 'unauthenticated' }] };
    elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [{ TargetGroupArn: tgArn(RESOURCE, 8000) }] });
    const old = rule(9, 'old-name.apps.example.com', RESOURCE);
    elb.on(DescribeRulesCommand).resolves({ Rules: [rule(7, 'api-ada.apps.example.com', RESOURCE), old, rule(8, 'other.apps.example.com', OTHER)] });
    elb.on(ModifyRuleCommand).resolves({});
    elb.on(DeleteRuleCommand).resolves({});

    // Act
    await routes.ensure(opened);

    // Assess
    expect(elb.commandCalls(ModifyRuleCommand)[0]!.args[0].input).toEqual({
      RuleArn: rule(7, 'api-ada.apps.example.com', RESOURCE).RuleArn,
      Actions: [{ Type: 'forward', TargetGroupArn: tgArn(RESOURCE, 8000), Order: 1 }],
    });
    expect(elb.commandCalls(DeleteRuleCommand).map((c) => c.args[0].input)).toEqual([{ RuleArn: old.RuleArn }]);
  });

  it("moves the health check of a target group made before the edge sidecar to the sidecar's health port, and leaves a current one alone", async () => {
    // Prepare
    elb.on(DescribeTargetGroupsCommand, { Names: [targetGroupNameFor(RESOURCE, 8000)] }).resolves({ TargetGroups: [{ TargetGroupArn: tgArn(RESOURCE, 8000), HealthCheckPort: 'traffic-port' }] });
    elb.on(DescribeTargetGroupsCommand, { Names: [targetGroupNameFor(RESOURCE, 8501)] }).resolves({ TargetGroups: [{ TargetGroupArn: tgArn(RESOURCE, 8501), HealthCheckPort: '61000' }] });
    elb.on(DescribeRulesCommand).resolves({ Rules: [rule(1, 'api-ada.apps.example.com', RESOURCE), rule(2, 'api-ada-public.apps.example.com', RESOURCE, 8501)] });
    elb.on(ModifyTargetGroupCommand).resolves({});
    elb.on(ModifyRuleCommand).resolves({});

    // Act
    await routes.ensure(plan);

    // Assess
    expect(elb.commandCalls(ModifyTargetGroupCommand).map((c) => c.args[0].input)).toEqual([{ TargetGroupArn: tgArn(RESOURCE, 8000), HealthCheckPort: '61000' }]);
  });

  it('refuses a subdomain another resource serves', async () => {
    elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [{ TargetGroupArn: tgArn(RESOURCE, 8000) }] });
    elb.on(DescribeRulesCommand).resolves({ Rules: [rule(1, 'api-ada.apps.example.com', OTHER)] });

    await expect(routes.ensure({ ...plan, routes: [plan.routes[0]!] })).rejects.toThrow(/already served by another/);
  });

  it('takes the next free priority when another writer took the chosen one', async () => {
    // Prepare
    elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [{ TargetGroupArn: tgArn(RESOURCE, 8000) }] });
    elb.on(DescribeRulesCommand).resolvesOnce({ Rules: [] }).resolves({ Rules: [rule(1, 'racer.apps.example.com', OTHER)] });
    elb.on(CreateRuleCommand).rejectsOnce(new PriorityInUseException({ message: 'Priority 1 is currently in use', $metadata: {} })).resolves({});

    // Act
    await routes.ensure({ ...plan, routes: [plan.routes[0]!] });

    // Assess
    expect(elb.commandCalls(CreateRuleCommand).map((c) => c.args[0].input.Priority)).toEqual([1, 2]);
  });

  it('fails the 101st route with an error naming the quota and how to raise it', async () => {
    // Prepare: 100 rules of other resources, and ELB refusing one more.
    elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [{ TargetGroupArn: tgArn(RESOURCE, 8000) }] });
    const hundred = Array.from({ length: 100 }, (_, i) => rule(i + 1, `app-${i}.apps.example.com`, OTHER));
    elb.on(DescribeRulesCommand).resolves({ Rules: [DEFAULT_RULE, ...hundred] });
    elb.on(CreateRuleCommand).rejects(new TooManyRulesException({ message: 'You have reached the maximum number of rules', $metadata: {} }));

    // Act
    const error = await routes.ensure({ ...plan, routes: [plan.routes[0]!] }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RouteLimitError);
    expect((error as RouteLimitError).limit).toBe('rules');
    expect((error as Error).message).toMatch(/"Rules per Application Load Balancer" \(100 by default\)/);
    expect((error as Error).message).toMatch(/Service Quotas/);
    expect(elb.commandCalls(CreateRuleCommand)[0]!.args[0].input.Priority).toBe(101);
  });
});

describe('AlbRoutes.detach and remove', () => {
  it('deletes only the rules forwarding to the resource, then its target groups', async () => {
    // Prepare
    const mine = rule(4, 'api-ada.apps.example.com', RESOURCE);
    elb.on(DescribeRulesCommand).resolves({ Rules: [DEFAULT_RULE, mine, rule(5, 'other.apps.example.com', OTHER)] });
    elb.on(DeleteRuleCommand).resolves({});
    elb.on(DescribeTargetGroupsCommand).resolves({
      TargetGroups: [
        { TargetGroupArn: tgArn(RESOURCE, 8000), TargetGroupName: targetGroupNameFor(RESOURCE, 8000) },
        { TargetGroupArn: tgArn(OTHER, 8000), TargetGroupName: targetGroupNameFor(OTHER, 8000) },
      ],
    });
    elb.on(DeleteTargetGroupCommand).resolves({});

    // Act
    await routes.remove(RESOURCE);

    // Assess
    expect(elb.commandCalls(DeleteRuleCommand).map((c) => c.args[0].input)).toEqual([{ RuleArn: mine.RuleArn }]);
    expect(elb.commandCalls(DeleteTargetGroupCommand).map((c) => c.args[0].input)).toEqual([{ TargetGroupArn: tgArn(RESOURCE, 8000) }]);
  });
});

describe('AlbRoutes sign-in hosts', () => {
  it('names the hosts of the plan that sign visitors in, leaving unauthenticated ones out', () => {
    expect(routes.signInHosts(plan)).toEqual(['api-ada.apps.example.com']);
  });

  it("finds the hosts the resource's rules sign in on now, not its forward-only rules nor another resource's", async () => {
    // Prepare
    const forwardOnly: Rule = { ...rule(3, 'api-ada-public.apps.example.com', RESOURCE, 8501), Actions: [{ Type: 'forward', Order: 1, TargetGroupArn: tgArn(RESOURCE, 8501) }] };
    elb.on(DescribeRulesCommand).resolves({ Rules: [DEFAULT_RULE, rule(1, 'other.apps.example.com', OTHER), rule(2, 'api-ada.apps.example.com', RESOURCE), forwardOnly] });

    // Act
    const hosts = await routes.signedInHostsOf(RESOURCE);

    // Assess
    expect(hosts).toEqual(['api-ada.apps.example.com']);
  });
});

describe('lowestFreePriority', () => {
  it.each([
    [[], 1],
    [['1', '2', '4'], 3],
    [['default', '2'], 1],
  ])('with priorities %j taken picks %i', (taken, expected) => {
    expect(lowestFreePriority(taken.map((Priority) => ({ Priority })))).toBe(expected);
  });
});
