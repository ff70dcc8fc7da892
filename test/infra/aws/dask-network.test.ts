import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { DaskNetwork } from '../../../infra/aws/constructs/dask-network.ts';

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
