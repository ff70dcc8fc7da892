import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { DaskNetwork } from '../../../infra/aws/constructs/dask-network.ts';
import { getAtt, logicalId, synthCassini } from './support/synth.ts';
import { roleStatements } from './support/least-privilege.ts';

function synth() {
  const stack = new Stack(new App(), 'Dask', { env: { account: '123456789012', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
  const tasks = new ec2.SecurityGroup(stack, 'Tasks', { vpc });
  new DaskNetwork(stack, 'DaskNetwork', { vpc, tasksSecurityGroup: tasks });
  return { template: Template.fromStack(stack), tasksId: stack.getLogicalId(tasks.node.defaultChild as ec2.CfnSecurityGroup) };
}

describe('DaskNetwork', () => {
  it('admits 8786 and 8787 only from the platform tasks, and nothing from 0.0.0.0/0', () => {
    // Act
    const { template, tasksId } = synth();

    // Assess
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
    expect(ingress.map((p) => [p.FromPort, p.ToPort, p.SourceSecurityGroupId])).toEqual([
      [8786, 8786, { 'Fn::GetAtt': [tasksId, 'GroupId'] }],
      [8787, 8787, { 'Fn::GetAtt': [tasksId, 'GroupId'] }],
    ]);
    expect(ingress.filter((p) => p.CidrIp !== undefined || p.CidrIpv6 !== undefined)).toEqual([]);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('Dask'), SecurityGroupIngress: Match.absent() });
  });

  it('creates the private DNS namespace the schedulers are named in', () => {
    synth().template.hasResourceProperties('AWS::ServiceDiscovery::PrivateDnsNamespace', { Name: 'dask.cassini.internal' });
  });
});

describe('DaskNetwork in the platform stack', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Props = Record<string, any>;
  const s = synthCassini();
  const stack = s.stack;
  const daskGroup = logicalId(stack.daskNetwork.securityGroup);
  const envOf = (fn: { fn: unknown }) => (s.json.Resources[logicalId(fn.fn as never)]!.Properties as Props).Environment.Variables as Props;

  it('opens the Dask group to the platform tasks only: no ingress from any address range', () => {
    // Act
    const ingress = Object.values(s.json.Resources)
      .filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress' && JSON.stringify((r.Properties as Props).GroupId).includes(daskGroup))
      .map((r) => r.Properties as Props);

    // Assess
    expect(ingress.map((p) => [p.FromPort, p.SourceSecurityGroupId])).toEqual([
      [8786, getAtt(stack.compute.tasksSecurityGroup, 'GroupId')],
      [8787, getAtt(stack.compute.tasksSecurityGroup, 'GroupId')],
    ]);
    const open = Object.values(s.json.Resources).flatMap((r) => {
      const p = r.Properties as Props | undefined;
      const rules = r.Type === 'AWS::EC2::SecurityGroup' ? (p?.SecurityGroupIngress ?? []) : r.Type === 'AWS::EC2::SecurityGroupIngress' ? [p] : [];
      return (rules as Props[]).filter((rule) => (rule.FromPort <= 8787 && rule.ToPort >= 8786) || rule.IpProtocol === '-1').filter((rule) => rule.CidrIp === '0.0.0.0/0' || rule.CidrIpv6 === '::/0');
    });
    expect(open).toEqual([]);
  });

  it('tells the reactor and the reconciler where clusters run, and the API only the namespace name', () => {
    const dask = { DASK_NAMESPACE_ID: getAtt(stack.daskNetwork.namespace, 'Id'), DASK_NAMESPACE_NAME: 'dask.cassini.internal', DASK_SECURITY_GROUP: getAtt(stack.daskNetwork.securityGroup, 'GroupId') };
    expect(envOf(stack.reactor)).toMatchObject(dask);
    expect(envOf(stack.reconciler)).toMatchObject(dask);
    expect(envOf(stack.api.handler)).toMatchObject({ DASK_NAMESPACE_NAME: 'dask.cassini.internal' });
    expect(envOf(stack.api.handler).DASK_NAMESPACE_ID).toBeUndefined();
  });

  it('lets Cloud Map change A records only in the namespace zone, under the namespace name', () => {
    for (const fn of [stack.reactor, stack.reconciler]) {
      const statements = roleStatements(s.json.Resources, logicalId(fn.role)).filter((st) => JSON.stringify(st.Action).includes('route53:ChangeResourceRecordSets'));
      expect(statements).toEqual([
        {
          Effect: 'Allow',
          Action: 'route53:ChangeResourceRecordSets',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':route53:::hostedzone/', getAtt(stack.daskNetwork.namespace, 'HostedZoneId')]] },
          Condition: {
            'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsRecordTypes': ['A'] },
            'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['*.dask.cassini.internal'] },
          },
        },
      ]);
    }
    const apiActions = roleStatements(s.json.Resources, logicalId(stack.api.handler.role)).flatMap((st) => [st.Action].flat());
    expect(apiActions.filter((a) => /^(servicediscovery|route53):/.test(a))).toEqual([]);
  });
});
