/**
 * A service's routes on the platform's load balancer (infra/aws/constructs/ingress.ts): per
 * container port one target group (ECS registers the replicas' addresses in it), and per
 * subdomain one host-header rule on the HTTPS listener, which signs the visitor in with Cognito
 * and then forwards — or only forwards, for an `unauthenticated` route.
 *
 * Every call is idempotent and finds what exists rather than remembering it: target groups by
 * their name (service-names.ts), rules by their host, and a resource's rules by the target group
 * they forward to (its name carries the resource's prefix), so `detach` and `remove` need only
 * the resource id. A rule takes the lowest priority no other rule holds; a race with another
 * writer for the same priority is retried on fresh rules.
 *
 * An Application Load Balancer holds 100 rules and 100 target groups by default; past that the
 * route fails with a RouteLimitError saying which quota and how to raise it (README, "Routes on
 * AWS").
 */
import {
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ModifyRuleCommand,
  ModifyTargetGroupCommand,
  ModifyTargetGroupAttributesCommand,
  type Action,
  type CreateRuleCommandInput,
  type CreateTargetGroupCommandInput,
  type ElasticLoadBalancingV2Client,
  type Rule,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ServicePlan, ServiceRoute } from '../../../ports/service-runtime.ts';
import { edgePortsFor } from './edge-sidecar.ts';
import { errorMessage, isNamed } from '../sdk-errors.ts';
import { resourceTags, targetGroupNameFor, targetGroupNameOf, targetGroupPrefixFor } from './service-names.ts';

/** Listener rule priorities ELB accepts. */
const MAX_PRIORITY = 50_000;
const PRIORITY_ATTEMPTS = 3;
const PAGE_SIZE = 400;
/** Seconds a replica leaving the service keeps its open requests (ELB's default is 300: a stop would take five minutes). */
export const DEREGISTRATION_DELAY_SECONDS = 30;
/** How long a Cognito sign-in lasts on a route, as on the listener's default action. */
export const SIGN_IN_SESSION_SECONDS = 12 * 3600;

export type RouteLimit = 'rules' | 'target-groups';

/** The load balancer cannot take one more route; an operator must raise its quota (or free routes). */
export class RouteLimitError extends Error {
  override name = 'RouteLimitError';
  constructor(
    readonly limit: RouteLimit,
    host: string,
    cause: unknown,
  ) {
    const quota = limit === 'rules' ? '"Rules per Application Load Balancer" (100 by default)' : '"Target groups per Application Load Balancer" (100 by default)';
    super(
      `Cannot route ${host}: the platform's load balancer has reached its quota of ${quota}. ` +
        'Stop or delete a deployment or workspace to free a route, or ask an operator to raise the quota in Service Quotas ' +
        '(Elastic Load Balancing) and start this one again.',
      { cause },
    );
  }
}

export interface AlbSignIn {
  userPoolArn: string;
  userPoolClientId: string;
  /** The user pool domain's prefix (`<prefix>.auth.<region>.amazoncognito.com`). */
  userPoolDomain: string;
}

export interface AlbRoutesOptions {
  client: ElasticLoadBalancingV2Client;
  listenerArn: string;
  vpcId: string;
  /** Routes are served at `<subdomain>.<domain>`. */
  domain: string;
  signIn: AlbSignIn;
}

/** A container port the load balancer forwards to, for the service's `loadBalancers`. */
export interface RoutedPort {
  containerPort: number;
  targetGroupArn: string;
}

export type RoutePlan = Pick<ServicePlan, 'resourceId' | 'owner' | 'type' | 'name' | 'routes' | 'healthCheckPath'>;

function tagList(tags: Record<string, string>) {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/**
 * The target group of one container port of the app. It sends to the edge sidecar's port for
 * it (edge-sidecar.ts), never to the app, and checks health on the sidecar's health port, which
 * answers with the status of the app's health check path on its main port.
 */
export function targetGroupInput(plan: RoutePlan, containerPort: number, vpcId: string): CreateTargetGroupCommandInput {
  const edgePorts = edgePortsFor(plan);
  return {
    Name: targetGroupNameFor(plan.resourceId, containerPort),
    TargetType: 'ip',
    Protocol: 'HTTP',
    ProtocolVersion: 'HTTP1',
    Port: edgePorts.routes.get(containerPort)!,
    VpcId: vpcId,
    HealthCheckEnabled: true,
    HealthCheckProtocol: 'HTTP',
    HealthCheckPath: plan.healthCheckPath,
    HealthCheckPort: String(edgePorts.health),
    Matcher: { HttpCode: '200-399' },
    Tags: tagList({ ...resourceTags(plan), 'cassini:port': String(containerPort) }),
  };
}

/** Sign-in then forward, or forward alone for an unauthenticated route. */
export function routeActions(route: Pick<ServiceRoute, 'visibility'>, targetGroupArn: string, signIn: AlbSignIn): Action[] {
  const forward: Action = { Type: 'forward', TargetGroupArn: targetGroupArn };
  if (route.visibility === 'unauthenticated') return [{ ...forward, Order: 1 }];
  return [
    {
      Type: 'authenticate-cognito',
      Order: 1,
      AuthenticateCognitoConfig: {
        UserPoolArn: signIn.userPoolArn,
        UserPoolClientId: signIn.userPoolClientId,
        UserPoolDomain: signIn.userPoolDomain,
        OnUnauthenticatedRequest: 'authenticate',
        SessionTimeout: SIGN_IN_SESSION_SECONDS,
      },
    },
    { ...forward, Order: 2 },
  ];
}

/** The lowest priority no rule holds. */
export function lowestFreePriority(rules: Rule[]): number {
  const taken = new Set(rules.map((r) => Number(r.Priority)).filter(Number.isInteger));
  for (let p = 1; p <= MAX_PRIORITY; p++) if (!taken.has(p)) return p;
  throw new Error('every listener rule priority is taken');
}

function forwardsTo(action: Action): string | undefined {
  return action.TargetGroupArn ?? action.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn;
}

function hostsOf(rule: Rule): string[] {
  return (rule.Conditions ?? []).filter((c) => c.Field === 'host-header').flatMap((c) => c.HostHeaderConfig?.Values ?? c.Values ?? []);
}

/** What decides whether an existing rule already does what a route wants. */
function actionsKey(actions: Action[]): string {
  return JSON.stringify(
    [...actions]
      .sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0))
      .map((a) => [a.Type, forwardsTo(a) ?? null, a.AuthenticateCognitoConfig?.UserPoolClientId ?? null, a.AuthenticateCognitoConfig?.UserPoolDomain ?? null]),
  );
}

function ownedBy(rule: Rule, resourceId: string): boolean {
  const prefix = targetGroupPrefixFor(resourceId);
  return (rule.Actions ?? []).some((a) => targetGroupNameOf(forwardsTo(a) ?? '')?.startsWith(prefix) ?? false);
}

export class AlbRoutes {
  constructor(private readonly options: AlbRoutesOptions) {}

  hostOf(route: Pick<ServiceRoute, 'subdomain'>): string {
    return `${route.subdomain}.${this.options.domain}`;
  }

  /** The hosts of the plan's routes that sign visitors in (all but `unauthenticated` ones). */
  signInHosts(plan: Pick<RoutePlan, 'routes'>): string[] {
    return plan.routes.filter((r) => r.visibility !== 'unauthenticated').map((r) => this.hostOf(r));
  }

  /** The hosts the resource's rules sign visitors in on now. */
  async signedInHostsOf(resourceId: string): Promise<string[]> {
    const rules = (await this.rules()).filter((r) => ownedBy(r, resourceId) && (r.Actions ?? []).some((a) => a.Type === 'authenticate-cognito'));
    return rules.flatMap(hostsOf);
  }

  /**
   * Makes the load balancer serve the plan's routes, and only those, for its resource: one
   * target group per container port, one rule per subdomain. Returns the ports to register with
   * the ECS service.
   */
  async ensure(plan: RoutePlan): Promise<RoutedPort[]> {
    const ports = [...new Set(plan.routes.map((r) => r.containerPort))];
    const routed: RoutedPort[] = [];
    for (const containerPort of ports) routed.push({ containerPort, targetGroupArn: await this.ensureTargetGroup(plan, containerPort) });
    const targetOf = new Map(routed.map((r) => [r.containerPort, r.targetGroupArn]));
    for (const route of plan.routes) await this.ensureRule(plan, route, targetOf.get(route.containerPort)!);
    // A route the plan no longer has (a changed subdomain) stops being served.
    const wanted = new Set(plan.routes.map((r) => this.hostOf(r)));
    for (const rule of await this.rules()) {
      if (ownedBy(rule, plan.resourceId) && !hostsOf(rule).some((h) => wanted.has(h))) await this.deleteRule(rule.RuleArn!);
    }
    return routed;
  }

  /** Takes every route of the resource off the load balancer; its target groups stay for a restart. */
  async detach(resourceId: string): Promise<void> {
    for (const rule of await this.rules()) if (ownedBy(rule, resourceId)) await this.deleteRule(rule.RuleArn!);
  }

  /** Takes the routes off and deletes the resource's target groups. */
  async remove(resourceId: string): Promise<void> {
    await this.detach(resourceId);
    const prefix = targetGroupPrefixFor(resourceId);
    for (const group of await this.targetGroups()) {
      if (!group.TargetGroupName?.startsWith(prefix)) continue;
      try {
        await this.options.client.send(new DeleteTargetGroupCommand({ TargetGroupArn: group.TargetGroupArn }));
      } catch (error) {
        if (!isNamed(error, 'TargetGroupNotFoundException')) throw error;
      }
    }
  }

  private async ensureTargetGroup(plan: RoutePlan, containerPort: number): Promise<string> {
    const { client, vpcId } = this.options;
    const name = targetGroupNameFor(plan.resourceId, containerPort);
    const wanted = targetGroupInput(plan, containerPort, vpcId);
    try {
      const { TargetGroups } = await client.send(new DescribeTargetGroupsCommand({ Names: [name] }));
      const existing = TargetGroups?.[0];
      if (existing?.TargetGroupArn) {
        // A group made before the edge sidecar checked the app's port, which no longer answers the load balancer.
        if (existing.HealthCheckPort !== wanted.HealthCheckPort) {
          await client.send(new ModifyTargetGroupCommand({ TargetGroupArn: existing.TargetGroupArn, HealthCheckPort: wanted.HealthCheckPort }));
        }
        return existing.TargetGroupArn;
      }
    } catch (error) {
      if (!isNamed(error, 'TargetGroupNotFoundException')) throw error;
    }
    let arn: string | undefined;
    try {
      // Creating a target group that exists with the same settings returns it, so a race is harmless.
      const created = await client.send(new CreateTargetGroupCommand(wanted));
      arn = created.TargetGroups?.[0]?.TargetGroupArn;
    } catch (error) {
      if (isNamed(error, 'TooManyTargetGroupsException')) throw new RouteLimitError('target-groups', name, error);
      throw error;
    }
    if (!arn) throw new Error(`CreateTargetGroup returned no ARN for ${name}`);
    await client.send(
      new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: String(DEREGISTRATION_DELAY_SECONDS) }] }),
    );
    return arn;
  }

  private async ensureRule(plan: RoutePlan, route: ServiceRoute, targetGroupArn: string): Promise<void> {
    const { client, listenerArn, signIn } = this.options;
    const host = this.hostOf(route);
    const actions = routeActions(route, targetGroupArn, signIn);
    for (let attempt = 1; ; attempt++) {
      const rules = await this.rules();
      const existing = rules.find((r) => hostsOf(r).includes(host));
      if (existing) {
        if (!ownedBy(existing, plan.resourceId)) throw new Error(`${host} is already served by another deployment or workspace; choose another subdomain.`);
        // The same route with another visibility or port: the rule is changed in place, keeping its priority.
        if (actionsKey(existing.Actions ?? []) !== actionsKey(actions)) await client.send(new ModifyRuleCommand({ RuleArn: existing.RuleArn, Actions: actions }));
        return;
      }
      const input: CreateRuleCommandInput = {
        ListenerArn: listenerArn,
        Priority: lowestFreePriority(rules),
        Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [host] } }],
        Actions: actions,
        Tags: tagList({ ...resourceTags(plan), 'cassini:host': host }),
      };
      try {
        await client.send(new CreateRuleCommand(input));
        return;
      } catch (error) {
        if (isNamed(error, 'PriorityInUseException') && attempt < PRIORITY_ATTEMPTS) continue;
        if (isNamed(error, 'TooManyRulesException')) throw new RouteLimitError('rules', host, error);
        if (isNamed(error, 'TooManyTargetGroupsException', 'TooManyUniqueTargetGroupsPerLoadBalancerException')) throw new RouteLimitError('target-groups', host, error);
        throw new Error(`CreateRule for ${host}: ${errorMessage(error)}`, { cause: error });
      }
    }
  }

  private async deleteRule(ruleArn: string): Promise<void> {
    try {
      await this.options.client.send(new DeleteRuleCommand({ RuleArn: ruleArn }));
    } catch (error) {
      if (!isNamed(error, 'RuleNotFoundException')) throw error;
    }
  }

  /** The listener's rules, the default one left out. */
  private async rules(): Promise<Rule[]> {
    const rules: Rule[] = [];
    let Marker: string | undefined;
    do {
      const page = await this.options.client.send(new DescribeRulesCommand({ ListenerArn: this.options.listenerArn, PageSize: PAGE_SIZE, ...(Marker ? { Marker } : {}) }));
      rules.push(...(page.Rules ?? []).filter((r) => !r.IsDefault));
      Marker = page.NextMarker;
    } while (Marker);
    return rules;
  }

  private async targetGroups(): Promise<TargetGroup[]> {
    const groups: TargetGroup[] = [];
    let Marker: string | undefined;
    do {
      const page = await this.options.client.send(new DescribeTargetGroupsCommand({ PageSize: PAGE_SIZE, ...(Marker ? { Marker } : {}) }));
      groups.push(...(page.TargetGroups ?? []));
      Marker = page.NextMarker;
    } while (Marker);
    return groups;
  }
}
