/**
 * Tenant isolation on AWS, read from the synthesized template: what stops a member's task from
 * reaching another member's work through the network, the file system, IAM or the instance
 * metadata service. Each rule of AWS this relies on is cited where it is tested.
 */
import { describe, expect, it } from 'vitest';
import { BLOCK_TASK_IMDS_SETTING } from '../../../infra/aws/constructs/task-metadata-lockdown.ts';
import { synthCassini } from './support/synth.ts';

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
  const { json } = synthCassini({ gpuInstanceTypes: 'g6.xlarge,g5.xlarge' });
  const resources = Object.entries(json.Resources);
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type).map(([id, r]) => ({ id, props: (r.Properties ?? {}) as Props }));

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
      const grants = ofType('AWS::IAM::Policy').flatMap(({ props }) => (props.PolicyDocument.Statement as Props[]).filter((st) => actionsOf(st).some((a) => a.startsWith('elasticfilesystem:Client'))));
      expect(grants.length).toBeGreaterThan(0);
      for (const st of grants) expect(Object.values(st.Condition ?? {}).some((c) => (c as Props)['elasticfilesystem:AccessPointArn'] !== undefined), JSON.stringify(st)).toBe(true);
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
