import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { DaskNetwork } from '../../../infra/aws/constructs/dask-network.ts';
import { getAtt, logicalId, synthCassini } from './support/synth.ts';
import { roleStatements } from './support/least-privilege.ts';

function synth() {
  const stack = new Stack(new App(), 'Dask', { env: { account: '123456789012', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
  new DaskNetwork(stack, 'DaskNetwork', { vpc });
  return { template: Template.fromStack(stack) };
}

describe('DaskNetwork', () => {
  it('opens no port to anyone: clusters get their own groups at run time', () => {
    // Act
    const { template } = synth();

    // Assess
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    expect(Object.values(template.findResources('AWS::EC2::SecurityGroup')).filter((r) => r.Properties.SecurityGroupIngress !== undefined)).toEqual([]);
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
  const envOf = (fn: { fn: unknown }) => (s.json.Resources[logicalId(fn.fn as never)]!.Properties as Props).Environment.Variables as Props;

  it('tells the reactor and the reconciler where clusters run, and the API only the namespace name', () => {
    const dask = { DASK_NAMESPACE_ID: getAtt(stack.daskNetwork.namespace, 'Id'), DASK_NAMESPACE_NAME: 'dask.cassini.internal', TASK_VPC_ID: { Ref: logicalId(stack.compute.vpc) } };
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

  // Secrets Manager authorizes CreateSecret, TagResource and DeleteSecret on the secret's ARN, which
  // ends in a random six-character suffix ("Resource: Secrets Manager secret", Actions, resources,
  // and condition keys for AWS Secrets Manager); IAM's `*` matches any characters, `/` included.
  it('lets the reactor and the reconciler create and delete Dask clusters\' credentials, and no user\'s secret', () => {
    const arnOf = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`;
    for (const fn of [stack.reactor, stack.reconciler]) {
      const statements = roleStatements(s.json.Resources, logicalId(fn.role)).filter((st) => JSON.stringify(st.Resource).includes('_dask-tls-'));
      const credentials = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':secret:cassini/*/_dask-tls-*']] };
      // (CDK merges the reactor's statement with its token secrets' one: same actions, two resources.)
      expect(statements).toHaveLength(1);
      expect(statements[0]!.Effect).toBe('Allow');
      expect(new Set([statements[0]!.Action].flat())).toEqual(new Set(['secretsmanager:CreateSecret', 'secretsmanager:TagResource', 'secretsmanager:DeleteSecret']));
      expect([statements[0]!.Resource].flat()).toContainEqual(credentials);
      expect(statements[0]!.Condition).toBeUndefined();
      const pattern = new RegExp(`^${'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cassini/*/_dask-tls-*'.split('*').map((part) => part.replace(/[.?+^$()[\]{}|\\]/g, '\\$&')).join('.*')}$`);
      expect(pattern.test(arnOf(`cassini/ann/_dask-tls-${'ab'.repeat(16)}`))).toBe(true);
      // A catalog name never starts with `_`: no user's secret, nor a task's token, is within reach.
      for (const name of ['cassini/ann/db', 'cassini/ann/dask-tls-x', 'cassini/_tasks/run-0', 'other/ann/_dask-tls-x']) expect(pattern.test(arnOf(name)), name).toBe(false);
    }
  });
});
