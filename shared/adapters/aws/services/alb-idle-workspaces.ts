/**
 * Which workspaces nobody used for their auto_shutoff window, from what the load balancer saw:
 * the `RequestCount` of each of the resource's target groups (AWS/ApplicationELB, summed over
 * the window by CloudWatch GetMetricData). No datapoint means no request. A workspace is idle
 * when it has served for at least the window and none of its target groups counted a request.
 *
 * Browser front ends (Jupyter Lab, RStudio) poll their server every few seconds while a tab is
 * open, so an open tab counts as use; a websocket open with no request at all does not (the
 * load balancer counts connections per load balancer only). CloudWatch publishes a minute or
 * two behind, which a window of an hour or more absorbs.
 *
 * One pass makes one DescribeTargetGroups (the load balancer's groups) and one GetMetricData
 * per window length and 500 target groups, whatever the number of workspaces.
 */
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client, type TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Clock } from '../../../ports/platform-clock.ts';
import { targetGroupPrefixFor } from './service-names.ts';

const MAX_QUERIES = 500;
const PAGE_SIZE = 400;

export interface IdleCandidate {
  resourceId: string;
  /** The auto_shutoff window. */
  idleSeconds: number;
  /** Since when the workspace has served (its newest replica's start). */
  servingSince: string;
}

export interface AlbIdleWorkspacesOptions {
  cloudWatch: CloudWatchClient;
  elb: ElasticLoadBalancingV2Client;
  /** The platform's load balancer: only its target groups are looked at. */
  loadBalancerArn: string;
  clock: Clock;
}

/** The `TargetGroup` / `LoadBalancer` dimension values: the ARNs' resource parts. */
export function metricDimensions(group: Pick<TargetGroup, 'TargetGroupArn'>, loadBalancerArn: string) {
  return [
    { Name: 'TargetGroup', Value: group.TargetGroupArn!.slice(group.TargetGroupArn!.lastIndexOf(':') + 1) },
    { Name: 'LoadBalancer', Value: loadBalancerArn.slice(loadBalancerArn.indexOf(':loadbalancer/') + ':loadbalancer/'.length) },
  ];
}

/** The window as a CloudWatch period: whole minutes, rounded up. */
export function periodFor(idleSeconds: number): number {
  return Math.max(60, Math.ceil(idleSeconds / 60) * 60);
}

export class AlbIdleWorkspaces {
  constructor(private readonly options: AlbIdleWorkspacesOptions) {}

  /** The candidates that saw no request for their whole window. */
  async idle(candidates: IdleCandidate[]): Promise<IdleCandidate[]> {
    const now = this.options.clock.now();
    const due = candidates.filter((c) => Date.parse(c.servingSince) <= now.getTime() - c.idleSeconds * 1000);
    if (due.length === 0) return [];
    const groups = await this.targetGroups();
    const routed = due
      .map((candidate) => ({ candidate, groups: groups.filter((g) => g.TargetGroupName?.startsWith(targetGroupPrefixFor(candidate.resourceId))) }))
      // Not routed (yet): nothing says whether anyone used it.
      .filter((r) => r.groups.length > 0);
    const idle: IdleCandidate[] = [];
    // One query set per window length (auto_shutoff has a handful of choices).
    for (const idleSeconds of new Set(routed.map((r) => r.candidate.idleSeconds))) {
      const same = routed.filter((r) => r.candidate.idleSeconds === idleSeconds);
      const queries = same.flatMap((r, c) => r.groups.map((group, g) => this.query(`c${c}g${g}`, group, idleSeconds)));
      const counts = await this.sums(queries, idleSeconds, now);
      same.forEach((r, c) => {
        const requests = r.groups.reduce((sum, _group, g) => sum + (counts.get(`c${c}g${g}`) ?? 0), 0);
        if (requests === 0) idle.push(r.candidate);
      });
    }
    return idle;
  }

  private query(id: string, group: TargetGroup, idleSeconds: number): MetricDataQuery {
    return {
      Id: id,
      MetricStat: {
        Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'RequestCount', Dimensions: metricDimensions(group, this.options.loadBalancerArn) },
        Period: periodFor(idleSeconds),
        Stat: 'Sum',
      },
      ReturnData: true,
    };
  }

  /** Each query's sum over the window; a query with no datapoint is absent (no request). */
  private async sums(queries: MetricDataQuery[], idleSeconds: number, now: Date): Promise<Map<string, number>> {
    const sums = new Map<string, number>();
    for (let start = 0; start < queries.length; start += MAX_QUERIES) {
      let NextToken: string | undefined;
      do {
        const page = await this.options.cloudWatch.send(
          new GetMetricDataCommand({
            MetricDataQueries: queries.slice(start, start + MAX_QUERIES),
            StartTime: new Date(now.getTime() - idleSeconds * 1000),
            EndTime: now,
            ...(NextToken ? { NextToken } : {}),
          }),
        );
        for (const result of page.MetricDataResults ?? []) {
          sums.set(result.Id!, (sums.get(result.Id!) ?? 0) + (result.Values ?? []).reduce((a, b) => a + b, 0));
        }
        NextToken = page.NextToken;
      } while (NextToken);
    }
    return sums;
  }

  private async targetGroups(): Promise<TargetGroup[]> {
    const groups: TargetGroup[] = [];
    let Marker: string | undefined;
    do {
      const page = await this.options.elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: this.options.loadBalancerArn, PageSize: PAGE_SIZE, ...(Marker ? { Marker } : {}) }));
      groups.push(...(page.TargetGroups ?? []));
      Marker = page.NextMarker;
    } while (Marker);
    return groups;
  }
}

/**
 * The idle check from the reconciler's environment (`LOAD_BALANCER_ARN`, set with a domain), or
 * undefined when the stack has no load balancer to count requests.
 */
export function albIdleWorkspacesFromEnv(clock: Clock, env: NodeJS.ProcessEnv = process.env): AlbIdleWorkspaces | undefined {
  if (!env.LOAD_BALANCER_ARN) return undefined;
  return new AlbIdleWorkspaces({ cloudWatch: new CloudWatchClient({}), elb: new ElasticLoadBalancingV2Client({}), loadBalancerArn: env.LOAD_BALANCER_ARN, clock });
}
