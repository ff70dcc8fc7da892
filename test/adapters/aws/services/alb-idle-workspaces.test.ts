import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AlbIdleWorkspaces } from '../../../../shared/adapters/aws/services/alb-idle-workspaces.ts';
import { targetGroupNameFor } from '../../../../shared/adapters/aws/services/service-names.ts';

const cloudWatchClient = new CloudWatchClient({ region: 'eu-west-1' });
const elbClient = new ElasticLoadBalancingV2Client({ region: 'eu-west-1' });
const cloudWatch = mockClient(cloudWatchClient);
const elb = mockClient(elbClient);

const LB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/cassini/50dc6c495c0c9188';
const IDLE = '0123456789abcdef0123456789000001';
const BUSY = 'fedcba9876543210fedcba9876000001';
const NEW = 'aaaaaaaaaaaaaaaaaaaaaaaaaa000001';
const NOW = new Date('2025-03-01T12:00:00.000Z');
const group = (resourceId: string) => ({
  TargetGroupName: targetGroupNameFor(resourceId, 8000),
  TargetGroupArn: `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${targetGroupNameFor(resourceId, 8000)}/73e2d6bc24d8a067`,
});
const detector = new AlbIdleWorkspaces({ cloudWatch: cloudWatchClient, elb: elbClient, loadBalancerArn: LB, clock: { now: () => NOW } });

beforeEach(() => {
  cloudWatch.reset();
  elb.reset();
});

describe('AlbIdleWorkspaces', () => {
  it('finds the workspaces whose target groups counted no request over their window', async () => {
    // Prepare
    elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [group(IDLE), group(BUSY)] });
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'c0g0', Values: [] }, { Id: 'c1g0', Values: [4, 1] }] });
    const window = 3600;

    // Act
    const idle = await detector.idle([
      { resourceId: IDLE, idleSeconds: window, servingSince: '2025-03-01T09:00:00.000Z' },
      { resourceId: BUSY, idleSeconds: window, servingSince: '2025-03-01T09:00:00.000Z' },
      // Serving for less than its window: not asked about at all.
      { resourceId: NEW, idleSeconds: window, servingSince: '2025-03-01T11:30:00.000Z' },
    ]);

    // Assess
    expect(idle.map((c) => c.resourceId)).toEqual([IDLE]);
    expect(elb.commandCalls(DescribeTargetGroupsCommand)[0]!.args[0].input).toEqual({ LoadBalancerArn: LB, PageSize: 400 });
    expect(cloudWatch.commandCalls(GetMetricDataCommand)[0]!.args[0].input).toEqual({
      StartTime: new Date('2025-03-01T11:00:00.000Z'),
      EndTime: NOW,
      MetricDataQueries: [IDLE, BUSY].map((resourceId, c) => ({
        Id: `c${c}g0`,
        MetricStat: {
          Metric: {
            Namespace: 'AWS/ApplicationELB',
            MetricName: 'RequestCount',
            Dimensions: [
              { Name: 'TargetGroup', Value: `targetgroup/${targetGroupNameFor(resourceId, 8000)}/73e2d6bc24d8a067` },
              { Name: 'LoadBalancer', Value: 'app/cassini/50dc6c495c0c9188' },
            ],
          },
          Period: 3600,
          Stat: 'Sum',
        },
        ReturnData: true,
      })),
    });
  });

  it('asks nothing when no workspace has served for its window', async () => {
    await expect(detector.idle([{ resourceId: NEW, idleSeconds: 3600, servingSince: '2025-03-01T11:59:00.000Z' }])).resolves.toEqual([]);
    expect(elb.calls()).toHaveLength(0);
  });
});
